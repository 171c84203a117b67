#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "storage/sqlite_db.hpp"
#include "storage/store.hpp"

namespace batchgate::storage {

// The SQLite store: one connection guarded by a mutex; WAL; migrations applied on open.
class SqliteStore final : public Store {
 public:
  // Blocks. Fails when the file cannot be opened or migrated.
  static Result<std::unique_ptr<SqliteStore>> open_blocking(const std::string& path);

  Result<void> ping() override;
  Result<std::int64_t> insert_key(const KeyRecord& key) override;
  Result<std::optional<KeyRecord>> find_key_by_hash(const std::string& token_hash) override;
  Result<std::vector<KeyRecord>> list_keys(std::int64_t limit, std::int64_t offset) override;
  Result<KeyRecord> update_key(const std::string& token_hash, const KeyUpdate& update,
                               std::int64_t now) override;
  Result<std::int64_t> reset_budgets(std::int64_t now) override;
  Result<void> insert_account(const AccountRecord& account) override;
  Result<std::optional<AccountRecord>> find_account(AccountKind kind, const std::string& id) override;
  Result<std::vector<AccountRecord>> list_accounts(AccountKind kind, std::int64_t limit,
                                                   std::int64_t offset) override;
  Result<AccountRecord> update_account(AccountKind kind, const std::string& id, const AccountUpdate& update,
                                       std::int64_t now) override;
  Result<std::int64_t> delete_accounts(AccountKind kind, const std::vector<std::string>& ids) override;
  Result<std::vector<KeyRecord>> account_keys(AccountKind kind, const std::string& id) override;
  Result<std::int64_t> delete_keys(const std::vector<std::string>& token_hashes) override;
  Result<void> insert_file(const FileRecord& file, const std::vector<RecordMapping>& mappings) override;
  Result<std::optional<FileRecord>> find_file(const std::string& id) override;
  Result<std::vector<FileRecord>> list_files(const FileQuery& query) override;
  Result<void> delete_file(const std::string& id) override;
  Result<std::vector<FileRecord>> expired_files(std::int64_t now, std::int64_t limit) override;
  Result<std::vector<RecordMapping>> file_mappings(const std::string& file_id) override;
  Result<void> insert_batch(const BatchRecord& batch, const JobRecord& job) override;
  Result<std::optional<BatchRecord>> find_batch(const std::string& id) override;
  Result<std::vector<BatchRecord>> list_batches(const BatchQuery& query) override;
  Result<std::vector<ActiveBatch>> active_batches() override;
  Result<BatchRecord> update_batch(const BatchRecord& batch) override;
  Result<std::vector<JobRecord>> batch_jobs(const std::string& batch_id) override;
  Result<void> update_job(const JobRecord& job) override;
  Result<std::vector<JobStart>> job_starts(std::int64_t since) override;
  Result<BatchRecord> finish_batch(const BatchRecord& batch, const std::vector<FileRecord>& files,
                                   const std::optional<SpendRecord>& spend) override;
  Result<std::vector<SpendRecord>> list_spend(const SpendQuery& query) override;
  Result<void> save_record_results(const std::vector<RecordResult>& results) override;
  Result<std::vector<std::int64_t>> answered_records(const std::string& batch_id,
                                                     std::int64_t job_index) override;
  Result<RecordResultCounts> record_result_counts(const std::string& batch_id,
                                                  std::int64_t job_index) override;
  Result<std::vector<RecordResult>> record_results(const std::string& batch_id, std::int64_t job_index,
                                                   std::int64_t after, std::int64_t limit) override;

 private:
  explicit SqliteStore(const std::string& path) : db_(path) {}

  // Runs f under the lock and turns SQLite failures into Error values at the module boundary.
  template <class F>
  auto guarded(F&& f) -> decltype(f());

  void write_batch(const BatchRecord& b);  // CAS update; throws SqliteFailure, returns via changes()
  void write_file(const FileRecord& f);
  std::optional<Error> over_budget(const BatchRecord& b);
  std::optional<Error> account_over_budget(const BatchRecord& b, const std::string& column, AccountKind kind,
                                           const std::string& id);

  std::mutex mutex_;
  Database db_;
};

// "('validating', …)": the active batch statuses (is_active) as an SQL list, built from the enum.
const std::string& active_statuses_sql();

template <class F>
auto SqliteStore::guarded(F&& f) -> decltype(f()) {
  std::lock_guard lock(mutex_);
  try {
    return f();
  } catch (const SqliteFailure& e) {
    const bool conflict = (e.code & 0xff) == SQLITE_CONSTRAINT;
    return Error{conflict ? ErrorCode::kConflict : ErrorCode::kIo, e.what()};
  } catch (const nlohmann::json::exception& e) {
    return Error{ErrorCode::kIo, std::string("corrupt JSON column: ") + e.what()};
  }
}

}  // namespace batchgate::storage
