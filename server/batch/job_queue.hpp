#pragma once
// The job queue: which batches waiting for their Bedrock batch job may submit it now, and the place in line
// of the others. Pure (STYLE.md rule 2): the batch core builds the entries from the store each lifecycle
// round, so the count of jobs in flight holds across restarts.
//
// Per model, the slots are max_concurrent_jobs minus the jobs in flight (submitted and not ended, plus the
// submits under way). A quota answer from Bedrock (ServiceQuotaExceededException) makes the model full until
// a job of it starts again: then one batch at a time probes, once the refused submit's backoff has passed.
// The waiting batches are served round-robin across keys (the key whose last job on the model started longest
// ago goes first, so one key's many batches cannot starve another's), each key's batches oldest first.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/records.hpp"

namespace batchgate::batch {

// How far back the queue looks for a key's last job start: a key that started none for a week is served as
// one that never did.
inline constexpr std::int64_t kJobStartsHorizon = 7 * 24 * 3600;

struct QueueEntry {
  enum class State {
    kWaiting,     // its job has not been submitted
    kSubmitting,  // its submit is under way (takes a slot)
    kRunning,     // its job was submitted and has not ended (takes a slot)
  };
  std::string batch_id;
  std::string model;
  std::optional<std::int64_t> owner;  // key id; nullopt: the master key
  std::int64_t created_at = 0;
  State state = State::kWaiting;
  std::int64_t next_try_at = 0;               // when a refused submit may be tried again (job.next_poll_at)
  std::optional<std::int64_t> quota_full_at;  // its last submit met a full quota
};

struct QueuePlan {
  std::set<std::string> admitted;                 // waiting batches that may submit now
  std::map<std::string, std::int64_t> positions;  // the others: 1 = next to start, per model
};

// `max_jobs(model)`: the model's max_concurrent_jobs, nullopt for no limit of batchgate's own. `starts`: the
// latest job start per (model, key), from the store.
QueuePlan plan_job_queue(const std::vector<QueueEntry>& entries, const std::vector<storage::JobStart>& starts,
                         const std::function<std::optional<int>(std::string_view model)>& max_jobs,
                         std::int64_t now);

// The error stored on a batch whose completion window passed before its job could start.
struct NeverStarted {
  std::string code;
  std::string message;
};
NeverStarted never_started(const storage::BatchRecord& batch, const storage::JobRecord& job,
                           std::optional<int> max_jobs);

}  // namespace batchgate::batch
