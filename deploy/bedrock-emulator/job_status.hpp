#pragma once

// ModelInvocationJobStatus (spec/bedrock-batch.md §2, §6).

#include <optional>
#include <string_view>

namespace batchgate::bedrock_emulator {

enum class JobStatus {
  kSubmitted,
  kValidating,
  kScheduled,
  kInProgress,
  kCompleted,
  kPartiallyCompleted,
  kFailed,
  kStopping,
  kStopped,
  kExpired,
};

std::string_view to_string(JobStatus status);
std::optional<JobStatus> parse_job_status(std::string_view text);
bool is_terminal(JobStatus status);
// The transitions of spec §6; everything else is refused by the job store.
bool is_allowed_transition(JobStatus from, JobStatus to);

}  // namespace batchgate::bedrock_emulator
