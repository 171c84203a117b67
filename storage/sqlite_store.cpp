#include "storage/sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include "storage/migrations.hpp"

namespace batchgate::storage {

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error("storage: " + e.message);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open_blocking(const std::string& path) {
  try {
    std::unique_ptr<SqliteStore> store(new SqliteStore(path));
    migrate_blocking(store->db_);
    return store;
  } catch (const SqliteFailure& e) {
    return Error{ErrorCode::kIo, e.what()};
  }
}

const std::string& active_statuses_sql() {
  static const std::string sql = [] {
    std::string list;
    for (BatchStatus status : kAllBatchStatuses) {
      if (!is_active(status)) continue;
      list += list.empty() ? "('" : ",'";
      list += to_string(status);
      list += "'";
    }
    return list + ")";
  }();
  return sql;
}

Result<void> SqliteStore::ping() {
  return guarded([&]() -> Result<void> {
    auto st = db_.prepare("SELECT 1");
    st.step();
    return {};
  });
}

namespace {

constexpr const char* kKeyColumns =
    "id, token_hash, key_name, key_alias, models, max_budget, spend, user_id, team_id, metadata, blocked, "
    "expires_at, created_at, updated_at, budget_duration, budget_reset_at";

KeyRecord read_key(const Statement& st) {
  KeyRecord k;
  k.id = st.int64(0);
  k.token_hash = st.text(1);
  k.key_name = st.text(2);
  k.key_alias = st.text(3);
  k.models = nlohmann::json::parse(st.text(4)).get<std::vector<std::string>>();
  k.max_budget = st.opt_real(5);
  k.spend = st.real(6);
  k.user_id = st.text(7);
  k.team_id = st.text(8);
  k.metadata_json = st.text(9);
  k.blocked = st.int64(10) != 0;
  k.expires_at = st.opt_int64(11);
  k.created_at = st.int64(12);
  k.updated_at = st.int64(13);
  k.budget_duration = st.opt_int64(14);
  k.budget_reset_at = st.opt_int64(15);
  return k;
}

std::optional<KeyRecord> find_key(Database& db, const std::string& hash) {
  static const std::string sql = std::string("SELECT ") + kKeyColumns + " FROM keys WHERE token_hash = ?";
  auto st = db.prepare(sql);
  st.bind(1, hash);
  if (!st.step()) return std::nullopt;
  return read_key(st);
}

}  // namespace

Result<std::int64_t> SqliteStore::insert_key(const KeyRecord& k) {
  return guarded([&]() -> Result<std::int64_t> {
    Transaction tx(db_);
    std::int64_t id = 0;
    {
      auto next = db_.prepare("UPDATE key_id_sequence SET last_id = last_id + 1 RETURNING last_id");
      if (next.step()) id = next.int64(0);
      while (next.step()) {
      }
    }
    db_.prepare(
           "INSERT INTO keys (token_hash, key_name, key_alias, models, max_budget, spend, user_id, team_id, "
           "metadata, blocked, expires_at, created_at, updated_at, id, budget_duration, budget_reset_at) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, k.token_hash)
        .bind(2, k.key_name)
        .bind(3, k.key_alias)
        .bind(4, nlohmann::json(k.models).dump())
        .bind(5, k.max_budget)
        .bind(6, k.spend)
        .bind(7, k.user_id)
        .bind(8, k.team_id)
        .bind(9, k.metadata_json)
        .bind(10, k.blocked)
        .bind(11, k.expires_at)
        .bind(12, k.created_at)
        .bind(13, k.updated_at)
        .bind(14, id)
        .bind(15, k.budget_duration)
        .bind(16, k.budget_reset_at)
        .run();
    tx.commit();
    return id;
  });
}

Result<std::optional<KeyRecord>> SqliteStore::find_key_by_hash(const std::string& token_hash) {
  return guarded([&]() -> Result<std::optional<KeyRecord>> { return find_key(db_, token_hash); });
}

Result<std::vector<KeyRecord>> SqliteStore::list_keys(std::int64_t limit, std::int64_t offset) {
  return guarded([&]() -> Result<std::vector<KeyRecord>> {
    static const std::string sql =
        std::string("SELECT ") + kKeyColumns + " FROM keys ORDER BY id LIMIT ? OFFSET ?";
    auto st = db_.prepare(sql);
    st.bind(1, limit).bind(2, offset);
    std::vector<KeyRecord> out;
    while (st.step()) out.push_back(read_key(st));
    return out;
  });
}

Result<KeyRecord> SqliteStore::update_key(const std::string& token_hash, const KeyUpdate& u,
                                          std::int64_t now) {
  return guarded([&]() -> Result<KeyRecord> {
    Transaction tx(db_);
    auto found = find_key(db_, token_hash);
    if (!found) return Error{ErrorCode::kNotFound, "no such key"};
    KeyRecord k = std::move(*found);
    if (u.models) k.models = *u.models;
    if (u.max_budget) k.max_budget = *u.max_budget;
    if (u.key_alias) k.key_alias = *u.key_alias;
    if (u.user_id) k.user_id = *u.user_id;
    if (u.team_id) k.team_id = *u.team_id;
    if (u.metadata_json) k.metadata_json = *u.metadata_json;
    if (u.expires_at) k.expires_at = *u.expires_at;
    if (u.blocked) k.blocked = *u.blocked;
    if (u.budget_duration) k.budget_duration = *u.budget_duration;
    if (u.budget_reset_at) k.budget_reset_at = *u.budget_reset_at;
    k.updated_at = now;
    db_.prepare(
           "UPDATE keys SET key_alias=?, models=?, max_budget=?, user_id=?, team_id=?, metadata=?, "
           "blocked=?, "
           "expires_at=?, updated_at=?, budget_duration=?, budget_reset_at=? WHERE id=?")
        .bind(1, k.key_alias)
        .bind(2, nlohmann::json(k.models).dump())
        .bind(3, k.max_budget)
        .bind(4, k.user_id)
        .bind(5, k.team_id)
        .bind(6, k.metadata_json)
        .bind(7, k.blocked)
        .bind(8, k.expires_at)
        .bind(9, k.updated_at)
        .bind(10, k.budget_duration)
        .bind(11, k.budget_reset_at)
        .bind(12, k.id)
        .run();
    tx.commit();
    return k;
  });
}

Result<std::int64_t> SqliteStore::delete_keys(const std::vector<std::string>& token_hashes) {
  return guarded([&]() -> Result<std::int64_t> {
    Transaction tx(db_);
    std::int64_t deleted = 0;
    for (const auto& hash : token_hashes) {
      db_.prepare("DELETE FROM keys WHERE token_hash = ?").bind(1, hash).run();
      deleted += db_.changes();
    }
    tx.commit();
    return deleted;
  });
}

Result<std::int64_t> SqliteStore::reset_budgets(std::int64_t now) {
  return guarded([&]() -> Result<std::int64_t> {
    Transaction tx(db_);
    std::int64_t reset = 0;
    // The next reset stays on the budget's own schedule (set + k × duration), however late this runs.
    for (const char* table : {"keys", "accounts"}) {
      db_.prepare(std::string("UPDATE ") + table +
                  " SET spend = 0, budget_reset_at = budget_reset_at + budget_duration * "
                  "(1 + (?1 - budget_reset_at) / budget_duration) "
                  "WHERE budget_duration > 0 AND budget_reset_at IS NOT NULL AND budget_reset_at <= ?1")
          .bind(1, now)
          .run();
      reset += db_.changes();
    }
    tx.commit();
    return reset;
  });
}

Result<std::vector<KeyRecord>> SqliteStore::account_keys(AccountKind kind, const std::string& id) {
  return guarded([&]() -> Result<std::vector<KeyRecord>> {
    const std::string sql = std::string("SELECT ") + kKeyColumns + " FROM keys WHERE " +
                            (kind == AccountKind::kUser ? "user_id" : "team_id") + " = ? ORDER BY id";
    auto st = db_.prepare(sql);
    st.bind(1, id);
    std::vector<KeyRecord> out;
    while (st.step()) out.push_back(read_key(st));
    return out;
  });
}

}  // namespace batchgate::storage
