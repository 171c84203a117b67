#pragma once

// The emulator's in-memory job table: creation with idempotency and the concurrent-job quota, lookup by
// ARN or id, the status machine of spec/bedrock-batch.md §6 and ListModelInvocationJobs paging (§5).
// Pure: time and ids come from injected functions so tests drive them.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_error.hpp"
#include "job_status.hpp"
#include "timestamps.hpp"
#include "validation.hpp"

namespace batchgate::bedrock_emulator {

struct RecordCounts {
  std::int64_t total = 0;
  std::int64_t processed = 0;
  std::int64_t success = 0;
  std::int64_t error = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct Job {
  std::uint64_t sequence = 0;  // creation order; the paging cursor
  std::string id;
  std::string arn;
  CreateRequest request;
  JobStatus status = JobStatus::kSubmitted;
  std::string message;
  TimePoint submit_time;
  TimePoint last_modified_time;
  std::optional<TimePoint> end_time;
  TimePoint expiration_time;
  int timeout_hours = 0;
  std::optional<RecordCounts> counts;  // absent until validation has counted the records
};

struct StoreSettings {
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  int max_concurrent_jobs = 20;              // spec §9: "Sum of in-progress and submitted jobs", [U] default
  int default_timeout_hours = 168;           // spec §3: default when omitted is [U]
  double seconds_per_timeout_hour = 3600.0;  // < 3600 compresses timeouts so tests can reach Expired
};

struct ListPage {
  std::vector<const Job*> jobs;
  std::optional<std::string> next_token;
};

class JobStore {
 public:
  using Clock = std::function<TimePoint()>;
  using IdGenerator = std::function<std::string()>;

  JobStore(StoreSettings settings, Clock clock, IdGenerator ids);

  struct Created {
    Job* job;
    bool is_new;  // false when the clientRequestToken matched an earlier job
  };
  // Spec §3: a known clientRequestToken returns the original job without error (whatever the other
  // parameters are); otherwise the concurrent-job quota is checked before the job is added.
  Validated<Created> create(CreateRequest request, bool force_quota_exceeded);

  // `identifier` is the decoded path label: full ARN or bare id. nullptr when unknown.
  Job* find(std::string_view identifier);

  // Spec §6: non-terminal → Stopping (Stopping itself → success); terminal → ValidationException.
  std::optional<ApiError> request_stop(Job& job);

  // Applies an allowed transition and stamps lastModifiedTime (and endTime on terminal states).
  // Returns false and leaves the job untouched when spec §6 does not allow it.
  bool transition(Job& job, JobStatus to, std::string message = {});

  Validated<ListPage> list(const ListQuery& query) const;

  TimePoint now() const { return clock_(); }
  std::size_t created_count() const { return jobs_.size(); }
  std::size_t active_count() const;
  const StoreSettings& settings() const { return settings_; }
  void set_max_concurrent_jobs(int value) { settings_.max_concurrent_jobs = value; }
  void set_seconds_per_timeout_hour(double value) { settings_.seconds_per_timeout_hour = value; }

 private:
  StoreSettings settings_;
  Clock clock_;
  IdGenerator ids_;
  std::uint64_t next_sequence_ = 1;
  std::vector<std::unique_ptr<Job>> jobs_;
  std::map<std::string, Job*, std::less<>> by_id_;
  std::map<std::string, Job*, std::less<>> by_token_;
};

// The GetModelInvocationJob / summary JSON of a job (spec §4).
nlohmann::json job_to_json(const Job& job);

}  // namespace batchgate::bedrock_emulator
