#pragma once
// A Store that forwards to a real one (SQLite on a temporary file in the tests) and fails chosen calls:
// fail_next("finish_batch", 2) makes the next two finish_batch calls answer kIo without touching the store.

#include <map>
#include <mutex>
#include <string>

#include "storage/store.hpp"

namespace batchgate::test {

class FlakyStore final : public storage::Store {
 public:
  explicit FlakyStore(storage::Store& inner) : inner_(inner) {}

  void fail_next(const std::string& method, int times = 1) {
    std::lock_guard lock(mutex_);
    failures_[method] = times;
  }
  int calls(const std::string& method) const {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }

  storage::Result<void> ping() override {
    return pass("ping", [&] { return inner_.ping(); });
  }
  storage::Result<std::int64_t> insert_key(const storage::KeyRecord& k) override {
    return pass("insert_key", [&] { return inner_.insert_key(k); });
  }
  storage::Result<std::optional<storage::KeyRecord>> find_key_by_hash(const std::string& h) override {
    return pass("find_key_by_hash", [&] { return inner_.find_key_by_hash(h); });
  }
  storage::Result<std::vector<storage::KeyRecord>> list_keys(std::int64_t limit,
                                                             std::int64_t offset) override {
    return pass("list_keys", [&] { return inner_.list_keys(limit, offset); });
  }
  storage::Result<storage::KeyRecord> update_key(const std::string& h, const storage::KeyUpdate& u,
                                                 std::int64_t now) override {
    return pass("update_key", [&] { return inner_.update_key(h, u, now); });
  }
  storage::Result<std::int64_t> reset_budgets(std::int64_t now) override {
    return pass("reset_budgets", [&] { return inner_.reset_budgets(now); });
  }
  storage::Result<void> insert_account(const storage::AccountRecord& a) override {
    return pass("insert_account", [&] { return inner_.insert_account(a); });
  }
  storage::Result<std::optional<storage::AccountRecord>> find_account(storage::AccountKind kind,
                                                                      const std::string& id) override {
    return pass("find_account", [&] { return inner_.find_account(kind, id); });
  }
  storage::Result<std::vector<storage::AccountRecord>> list_accounts(storage::AccountKind kind,
                                                                     std::int64_t limit,
                                                                     std::int64_t offset) override {
    return pass("list_accounts", [&] { return inner_.list_accounts(kind, limit, offset); });
  }
  storage::Result<storage::AccountRecord> update_account(storage::AccountKind kind, const std::string& id,
                                                         const storage::AccountUpdate& u,
                                                         std::int64_t now) override {
    return pass("update_account", [&] { return inner_.update_account(kind, id, u, now); });
  }
  storage::Result<std::int64_t> delete_accounts(storage::AccountKind kind,
                                                const std::vector<std::string>& ids) override {
    return pass("delete_accounts", [&] { return inner_.delete_accounts(kind, ids); });
  }
  storage::Result<std::vector<storage::KeyRecord>> account_keys(storage::AccountKind kind,
                                                                const std::string& id) override {
    return pass("account_keys", [&] { return inner_.account_keys(kind, id); });
  }
  storage::Result<std::int64_t> delete_keys(const std::vector<std::string>& hashes) override {
    return pass("delete_keys", [&] { return inner_.delete_keys(hashes); });
  }
  storage::Result<void> insert_file(const storage::FileRecord& f,
                                    const std::vector<storage::RecordMapping>& m) override {
    return pass("insert_file", [&] { return inner_.insert_file(f, m); });
  }
  storage::Result<std::optional<storage::FileRecord>> find_file(const std::string& id) override {
    return pass("find_file", [&] { return inner_.find_file(id); });
  }
  storage::Result<std::vector<storage::FileRecord>> list_files(const storage::FileQuery& q) override {
    return pass("list_files", [&] { return inner_.list_files(q); });
  }
  storage::Result<void> delete_file(const std::string& id) override {
    return pass("delete_file", [&] { return inner_.delete_file(id); });
  }
  storage::Result<std::vector<storage::RecordMapping>> file_mappings(const std::string& id) override {
    return pass("file_mappings", [&] { return inner_.file_mappings(id); });
  }
  storage::Result<std::vector<storage::FileRecord>> expired_files(std::int64_t now,
                                                                  std::int64_t limit) override {
    return pass("expired_files", [&] { return inner_.expired_files(now, limit); });
  }
  storage::Result<void> insert_batch(const storage::BatchRecord& b, const storage::JobRecord& j) override {
    return pass("insert_batch", [&] { return inner_.insert_batch(b, j); });
  }
  storage::Result<std::optional<storage::BatchRecord>> find_batch(const std::string& id) override {
    return pass("find_batch", [&] { return inner_.find_batch(id); });
  }
  storage::Result<std::vector<storage::BatchRecord>> list_batches(const storage::BatchQuery& q) override {
    return pass("list_batches", [&] { return inner_.list_batches(q); });
  }
  storage::Result<std::vector<storage::ActiveBatch>> active_batches() override {
    return pass("active_batches", [&] { return inner_.active_batches(); });
  }
  storage::Result<storage::BatchRecord> update_batch(const storage::BatchRecord& b) override {
    return pass("update_batch", [&] { return inner_.update_batch(b); });
  }
  storage::Result<std::vector<storage::JobRecord>> batch_jobs(const std::string& id) override {
    return pass("batch_jobs", [&] { return inner_.batch_jobs(id); });
  }
  storage::Result<void> update_job(const storage::JobRecord& j) override {
    return pass("update_job", [&] { return inner_.update_job(j); });
  }
  storage::Result<std::vector<storage::JobStart>> job_starts(std::int64_t since) override {
    return pass("job_starts", [&] { return inner_.job_starts(since); });
  }
  storage::Result<storage::BatchRecord> finish_batch(
      const storage::BatchRecord& b, const std::vector<storage::FileRecord>& files,
      const std::optional<storage::SpendRecord>& spend) override {
    return pass("finish_batch", [&] { return inner_.finish_batch(b, files, spend); });
  }
  storage::Result<std::vector<storage::SpendRecord>> list_spend(const storage::SpendQuery& q) override {
    return pass("list_spend", [&] { return inner_.list_spend(q); });
  }
  storage::Result<void> save_record_results(const std::vector<storage::RecordResult>& r) override {
    return pass("save_record_results", [&] { return inner_.save_record_results(r); });
  }
  storage::Result<std::vector<std::int64_t>> answered_records(const std::string& id,
                                                              std::int64_t job) override {
    return pass("answered_records", [&] { return inner_.answered_records(id, job); });
  }
  storage::Result<storage::RecordResultCounts> record_result_counts(const std::string& id,
                                                                    std::int64_t job) override {
    return pass("record_result_counts", [&] { return inner_.record_result_counts(id, job); });
  }
  storage::Result<std::vector<storage::RecordResult>> record_results(const std::string& id, std::int64_t job,
                                                                     std::int64_t after,
                                                                     std::int64_t limit) override {
    return pass("record_results", [&] { return inner_.record_results(id, job, after, limit); });
  }

 private:
  template <class F>
  auto pass(const std::string& method, F f) -> decltype(f()) {
    {
      std::lock_guard lock(mutex_);
      ++calls_[method];
      int& left = failures_[method];
      if (left > 0) {
        --left;
        return storage::Error{storage::ErrorCode::kIo, "injected failure of " + method};
      }
    }
    return f();
  }

  storage::Store& inner_;
  mutable std::mutex mutex_;
  std::map<std::string, int> failures_;
  std::map<std::string, int> calls_;
};

}  // namespace batchgate::test
