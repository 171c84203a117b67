#pragma once
// The batch lifecycle as an explicit state machine over OpenAI's states (STYLE.md rule 5). Pure: the batch
// core reads the store and the job's runner, asks these functions what to do, and persists the result with
// compare-and-set.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "server/batch/record_runner.hpp"
#include "storage/records.hpp"

namespace batchgate::batch {

enum class Action {
  kNone,              // terminal: nothing to do
  kSubmit,            // the job has not started: submit it (the same idempotency token on every try)
  kCancelWithoutJob,  // cancelled before the job started: end as cancelled
  kStop,              // cancelling a started job: ask its runner to stop it, once
  kPoll,              // ask the runner how the job stands and apply what it says
  kCollect,           // the job ended: turn its output into the OpenAI files (again, after a crash)
};

// `job_view` is what the job's runner makes of its stored status (RecordRunner::view).
Action next_action(const storage::BatchRecord& batch, const storage::JobRecord& job, const JobView& job_view);

// What a job's state means for the batch.
struct Observation {
  storage::BatchRecord batch;  // with status and timestamps updated
  bool changed = false;        // batch fields differ from before
  bool collect = false;        // the job ended with results to collect
};

Observation observe(storage::BatchRecord batch, const JobView& job_view,
                    const std::optional<std::string>& message, std::int64_t now);

// Sets the terminal status and its timestamp.
void end_batch(storage::BatchRecord& batch, storage::BatchStatus status, std::int64_t now);

// The next poll interval: back to the minimum after a change, doubling up to the maximum otherwise.
std::int64_t next_interval(std::int64_t current, bool changed, std::int64_t min, std::int64_t max);

// The errors list stored on a failed batch: [{code, message, param:null, line:null}].
std::string batch_errors_json(std::string_view code, std::string_view message);
// The errors entry saying that the job still waits in Bedrock's queue (Scheduled) close to its deadline: a
// Scheduled job not started by jobExpirationTime ends Expired without output (spec/bedrock-batch.md §6).
inline constexpr std::string_view kQueuedNearDeadline = "bedrock_queued_near_deadline";
// Its message when the job, queued from `queued_until->first` with deadline `queued_until->second`, has used
// at least three quarters of that time at `now`; nullopt otherwise (not queued, or time enough).
std::optional<std::string> queued_near_deadline(
    const std::optional<std::pair<std::int64_t, std::int64_t>>& queued_until, std::int64_t now);
// `errors_json` with the kQueuedNearDeadline entry set to `message`, or removed when it is nullopt.
std::string with_queued_warning(std::string_view errors_json, const std::optional<std::string>& message);

// `errors_json` ("" or such a list) with one more error appended.
std::string add_batch_error(std::string_view errors_json, std::string_view code, std::string_view message);

}  // namespace batchgate::batch
