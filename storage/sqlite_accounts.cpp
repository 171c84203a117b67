// SqliteStore: users and teams (accounts), whose budgets hold for all their keys together.
#include <cstdio>

#include "storage/sqlite_store.hpp"

namespace batchgate::storage {
namespace {

constexpr const char* kAccountColumns =
    "kind, id, alias, max_budget, spend, budget_duration, budget_reset_at, metadata, created_at, updated_at";

const char* kind_name(AccountKind kind) {
  return kind == AccountKind::kUser ? "user" : "team";
}

AccountRecord read_account(const Statement& st) {
  AccountRecord a;
  a.kind = st.text(0) == "user" ? AccountKind::kUser : AccountKind::kTeam;
  a.id = st.text(1);
  a.alias = st.text(2);
  a.max_budget = st.opt_real(3);
  a.spend = st.real(4);
  a.budget_duration = st.opt_int64(5);
  a.budget_reset_at = st.opt_int64(6);
  a.metadata_json = st.text(7);
  a.created_at = st.int64(8);
  a.updated_at = st.int64(9);
  return a;
}

std::optional<AccountRecord> find(Database& db, AccountKind kind, const std::string& id) {
  static const std::string sql =
      std::string("SELECT ") + kAccountColumns + " FROM accounts WHERE kind = ? AND id = ?";
  auto st = db.prepare(sql);
  st.bind(1, kind_name(kind)).bind(2, id);
  if (!st.step()) return std::nullopt;
  return read_account(st);
}

}  // namespace

Result<void> SqliteStore::insert_account(const AccountRecord& a) {
  return guarded([&]() -> Result<void> {
    Transaction tx(db_);
    if (find(db_, a.kind, a.id))
      return Error{ErrorCode::kConflict, std::string(kind_name(a.kind)) + " exists"};
    db_.prepare(
           "INSERT INTO accounts (kind, id, alias, max_budget, spend, budget_duration, budget_reset_at, "
           "metadata, "
           "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)")
        .bind(1, kind_name(a.kind))
        .bind(2, a.id)
        .bind(3, a.alias)
        .bind(4, a.max_budget)
        .bind(5, a.spend)
        .bind(6, a.budget_duration)
        .bind(7, a.budget_reset_at)
        .bind(8, a.metadata_json)
        .bind(9, a.created_at)
        .bind(10, a.updated_at)
        .run();
    tx.commit();
    return {};
  });
}

Result<std::optional<AccountRecord>> SqliteStore::find_account(AccountKind kind, const std::string& id) {
  return guarded([&]() -> Result<std::optional<AccountRecord>> { return find(db_, kind, id); });
}

Result<std::vector<AccountRecord>> SqliteStore::list_accounts(AccountKind kind, std::int64_t limit,
                                                              std::int64_t offset) {
  return guarded([&]() -> Result<std::vector<AccountRecord>> {
    static const std::string sql = std::string("SELECT ") + kAccountColumns +
                                   " FROM accounts WHERE kind = ? ORDER BY created_at, id LIMIT ? OFFSET ?";
    auto st = db_.prepare(sql);
    st.bind(1, kind_name(kind)).bind(2, limit).bind(3, offset);
    std::vector<AccountRecord> out;
    while (st.step()) out.push_back(read_account(st));
    return out;
  });
}

Result<AccountRecord> SqliteStore::update_account(AccountKind kind, const std::string& id,
                                                  const AccountUpdate& u, std::int64_t now) {
  return guarded([&]() -> Result<AccountRecord> {
    Transaction tx(db_);
    auto found = find(db_, kind, id);
    if (!found) return Error{ErrorCode::kNotFound, std::string("no such ") + kind_name(kind)};
    AccountRecord a = std::move(*found);
    if (u.alias) a.alias = *u.alias;
    if (u.max_budget) a.max_budget = *u.max_budget;
    if (u.budget_duration) a.budget_duration = *u.budget_duration;
    if (u.budget_reset_at) a.budget_reset_at = *u.budget_reset_at;
    if (u.metadata_json) a.metadata_json = *u.metadata_json;
    a.updated_at = now;
    db_.prepare(
           "UPDATE accounts SET alias=?, max_budget=?, budget_duration=?, budget_reset_at=?, metadata=?, "
           "updated_at=? WHERE kind=? AND id=?")
        .bind(1, a.alias)
        .bind(2, a.max_budget)
        .bind(3, a.budget_duration)
        .bind(4, a.budget_reset_at)
        .bind(5, a.metadata_json)
        .bind(6, a.updated_at)
        .bind(7, kind_name(kind))
        .bind(8, id)
        .run();
    tx.commit();
    return a;
  });
}

Result<std::int64_t> SqliteStore::delete_accounts(AccountKind kind, const std::vector<std::string>& ids) {
  return guarded([&]() -> Result<std::int64_t> {
    Transaction tx(db_);
    std::int64_t deleted = 0;
    for (const auto& id : ids) {
      db_.prepare("DELETE FROM accounts WHERE kind = ? AND id = ?")
          .bind(1, kind_name(kind))
          .bind(2, id)
          .run();
      deleted += db_.changes();
    }
    tx.commit();
    return deleted;
  });
}

// Inside insert_batch's transaction: the key's user and team budgets, each against the spend of the account
// and what the running batches of all its keys reserve.
std::optional<Error> SqliteStore::account_over_budget(const BatchRecord& b, const std::string& column,
                                                      AccountKind kind, const std::string& id) {
  if (id.empty()) return std::nullopt;
  auto account = find(db_, kind, id);
  if (!account || !account->max_budget) return std::nullopt;
  auto held = db_.prepare(
      "SELECT COALESCE(SUM(b.reserved_cost), 0) FROM batches b JOIN keys k ON "
      "b.owner_key_id = k.id WHERE k." +
      column + " = ? AND b.status NOT IN ('completed', 'failed', 'cancelled', 'expired')");
  held.bind(1, id);
  held.step();
  const double reserved = held.real(0);
  if (account->spend + reserved + b.reserved_cost <= *account->max_budget) return std::nullopt;
  char text[320];
  std::snprintf(text, sizeof text,
                "This batch may cost up to %.6f USD; %s '%s' has spent %.6f and its keys' running batches "
                "reserve %.6f of its max_budget of %.6f USD.",
                b.reserved_cost, kind_name(kind), id.substr(0, 80).c_str(), account->spend, reserved,
                *account->max_budget);
  return Error{ErrorCode::kOverBudget, text};
}

}  // namespace batchgate::storage
