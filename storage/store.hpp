#pragma once
// The store interface. Every method blocks (SQLite file I/O): call it from the blocking pool, never from an
// HTTP I/O thread.

#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/records.hpp"

namespace batchgate::storage {

// kOverBudget: the write would take a key past its max_budget (the message gives the figures).
enum class ErrorCode { kNotFound, kConflict, kIo, kOverBudget };

struct Error {
  ErrorCode code;
  std::string message;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

struct KeyUpdate {
  std::optional<std::vector<std::string>> models;
  std::optional<std::optional<double>> max_budget;
  std::optional<std::string> key_alias;
  std::optional<std::string> user_id;
  std::optional<std::string> team_id;
  std::optional<std::string> metadata_json;
  std::optional<std::optional<std::int64_t>> expires_at;
  std::optional<bool> blocked;
  // Set or cleared together: the period and the first reset (now + period).
  std::optional<std::optional<std::int64_t>> budget_duration;
  std::optional<std::optional<std::int64_t>> budget_reset_at;
};

struct AccountUpdate {
  std::optional<std::string> alias;
  std::optional<std::optional<double>> max_budget;
  std::optional<std::optional<std::int64_t>> budget_duration;
  std::optional<std::optional<std::int64_t>> budget_reset_at;
  std::optional<std::string> metadata_json;
};

struct FileQuery {
  std::optional<std::int64_t> owner;  // nullopt with all_owners: every file (the master key)
  bool all_owners = false;
  std::string purpose;     // empty: any
  std::string after;       // cursor: a file id
  bool ascending = false;  // by created_at, then id
  std::int64_t limit = 10000;
  std::optional<std::int64_t> live_at;  // set: leave out files expired at this time
};

struct BatchQuery {
  std::optional<std::int64_t> owner;
  bool all_owners = false;
  std::string after;  // cursor: a batch id; newest first
  std::int64_t limit = 20;
};

struct SpendQuery {
  std::optional<std::int64_t> key_id;
  bool all_keys = false;
  std::int64_t limit = 100;
  // Filters (LiteLLM's /spend/logs parameters); unset: any.
  std::optional<std::string> user_id;
  std::optional<std::string> team_id;
  std::optional<std::int64_t> created_from;    // created_at >= this (unix seconds)
  std::optional<std::int64_t> created_before;  // created_at < this
};

class Store {
 public:
  virtual ~Store() = default;

  // Readiness: the database answers a query.
  virtual Result<void> ping() = 0;

  virtual Result<std::int64_t> insert_key(const KeyRecord& key) = 0;
  virtual Result<std::optional<KeyRecord>> find_key_by_hash(const std::string& token_hash) = 0;
  // Keys whose budget_reset_at has come: spend back to 0, the next reset one budget_duration later (or as
  // many as have passed). Returns how many keys were reset.
  virtual Result<std::int64_t> reset_budgets(std::int64_t now) = 0;

  // Users and teams. insert: kConflict when the id is taken; update: kNotFound when there is none.
  virtual Result<void> insert_account(const AccountRecord& account) = 0;
  virtual Result<std::optional<AccountRecord>> find_account(AccountKind kind, const std::string& id) = 0;
  virtual Result<std::vector<AccountRecord>> list_accounts(AccountKind kind, std::int64_t limit,
                                                           std::int64_t offset) = 0;
  virtual Result<AccountRecord> update_account(AccountKind kind, const std::string& id,
                                               const AccountUpdate& update, std::int64_t now) = 0;
  virtual Result<std::int64_t> delete_accounts(AccountKind kind, const std::vector<std::string>& ids) = 0;
  // The keys that name a user or team.
  virtual Result<std::vector<KeyRecord>> account_keys(AccountKind kind, const std::string& id) = 0;
  virtual Result<std::vector<KeyRecord>> list_keys(std::int64_t limit, std::int64_t offset) = 0;
  // Applies the set fields; kNotFound when no key has this hash.
  virtual Result<KeyRecord> update_key(const std::string& token_hash, const KeyUpdate& update,
                                       std::int64_t now) = 0;
  // Returns how many of the keys existed and were deleted.
  virtual Result<std::int64_t> delete_keys(const std::vector<std::string>& token_hashes) = 0;

  // The file row and its custom_id ↔ recordId mappings, in one transaction.
  virtual Result<void> insert_file(const FileRecord& file, const std::vector<RecordMapping>& mappings) = 0;
  virtual Result<std::optional<FileRecord>> find_file(const std::string& id) = 0;
  virtual Result<std::vector<FileRecord>> list_files(const FileQuery& query) = 0;
  // kConflict while a batch that is not finished uses the file as input.
  virtual Result<void> delete_file(const std::string& id) = 0;
  virtual Result<std::vector<RecordMapping>> file_mappings(const std::string& file_id) = 0;
  // Files whose expires_at is at or before `now`, soonest expired first, at most `limit`; files still the
  // input of a running batch are left out (they cannot be deleted yet).
  virtual Result<std::vector<FileRecord>> expired_files(std::int64_t now, std::int64_t limit) = 0;

  // The batch and its first Bedrock job, in one transaction: the row exists before Bedrock is called.
  virtual Result<void> insert_batch(const BatchRecord& batch, const JobRecord& job) = 0;
  virtual Result<std::optional<BatchRecord>> find_batch(const std::string& id) = 0;
  virtual Result<std::vector<BatchRecord>> list_batches(const BatchQuery& query) = 0;
  // Batches the lifecycle still has to drive (not in a terminal state), oldest first, each with its first
  // Bedrock job — one query however many batches are active.
  virtual Result<std::vector<ActiveBatch>> active_batches() = 0;
  // Compare-and-set: writes `batch` only if the stored version equals batch.version, then bumps the version.
  // kConflict when someone else changed it first.
  virtual Result<BatchRecord> update_batch(const BatchRecord& batch) = 0;
  virtual Result<std::vector<JobRecord>> batch_jobs(const std::string& batch_id) = 0;
  virtual Result<void> update_job(const JobRecord& job) = 0;
  // For each (model, owner key), the latest started_at of its jobs at or after `since`.
  virtual Result<std::vector<JobStart>> job_starts(std::int64_t since) = 0;
  // Ends a batch in one transaction: the batch (compare-and-set), its output/error files, and its spend row,
  // which is also added to the key's spend. The spend row is unique per batch, so a retry never counts twice.
  virtual Result<BatchRecord> finish_batch(const BatchRecord& batch, const std::vector<FileRecord>& files,
                                           const std::optional<SpendRecord>& spend) = 0;
  virtual Result<std::vector<SpendRecord>> list_spend(const SpendQuery& query) = 0;

  // Results of records run on demand. Saving a record that already has a result changes nothing, so a
  // repeated save is harmless. finish_batch deletes a batch's results (its output file holds them then).
  virtual Result<void> save_record_results(const std::vector<RecordResult>& results) = 0;
  virtual Result<std::vector<std::int64_t>> answered_records(const std::string& batch_id,
                                                             std::int64_t job_index) = 0;
  virtual Result<RecordResultCounts> record_result_counts(const std::string& batch_id,
                                                          std::int64_t job_index) = 0;
  // Up to `limit` results with record_index > after, in record order.
  virtual Result<std::vector<RecordResult>> record_results(const std::string& batch_id,
                                                           std::int64_t job_index, std::int64_t after,
                                                           std::int64_t limit) = 0;
};

}  // namespace batchgate::storage
