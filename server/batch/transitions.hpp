#pragma once
// The batch lifecycle as an explicit state machine over OpenAI's states (STYLE.md rule 5). Pure: the
// lifecycle loop (lifecycle.cpp) reads the store and Bedrock, asks these functions what to do, and persists
// the result with compare-and-set.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/records.hpp"
#include "translators/output_line.hpp"

namespace batchgate::batch {

enum class Action {
  kNone,              // terminal: nothing to do
  kSubmit,            // no Bedrock job yet: CreateModelInvocationJob (same clientRequestToken on every try)
  kCancelWithoutJob,  // cancelled before any job was created: end as cancelled
  kStop,              // cancelling with a job: StopModelInvocationJob once
  kPoll,              // GetModelInvocationJob and apply what it says
  kCollect,           // the job ended: turn its output into the OpenAI files (again, after a crash)
};

Action next_action(const storage::BatchRecord& batch, const storage::JobRecord& job);

// What a Bedrock job status means for the batch.
struct Observation {
  storage::BatchRecord batch;  // with status and timestamps updated
  bool changed = false;        // batch fields differ from before
  bool collect = false;        // the job ended with results to collect
};

Observation observe(storage::BatchRecord batch, std::string_view bedrock_status,
                    const std::optional<std::string>& message, std::int64_t now);

// For a job that ended: the OpenAI status the batch ends in and how missing records are reported.
struct Ending {
  std::string status;  // "completed", "cancelled", "expired"
  translators::MissingReason missing = translators::MissingReason::kMissingOutput;
};
std::optional<Ending> ending_for(std::string_view bedrock_status);

// Sets the terminal status and its timestamp.
void end_batch(storage::BatchRecord& batch, const std::string& status, std::int64_t now);

// The next poll interval: back to the minimum after a change, doubling up to the maximum otherwise.
std::int64_t next_interval(std::int64_t current, bool changed, std::int64_t min, std::int64_t max);

// The errors list stored on a failed batch: [{code, message, param:null, line:null}].
std::string batch_errors_json(std::string_view code, std::string_view message);

}  // namespace batchgate::batch
