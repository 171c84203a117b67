#include "job_status.hpp"

#include <array>
#include <utility>

namespace batchgate::bedrock_emulator {

namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 10> kNames{{
    {JobStatus::kSubmitted, "Submitted"},
    {JobStatus::kValidating, "Validating"},
    {JobStatus::kScheduled, "Scheduled"},
    {JobStatus::kInProgress, "InProgress"},
    {JobStatus::kCompleted, "Completed"},
    {JobStatus::kPartiallyCompleted, "PartiallyCompleted"},
    {JobStatus::kFailed, "Failed"},
    {JobStatus::kStopping, "Stopping"},
    {JobStatus::kStopped, "Stopped"},
    {JobStatus::kExpired, "Expired"},
}};

}  // namespace

std::string_view to_string(JobStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "Failed";
}

std::optional<JobStatus> parse_job_status(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(JobStatus status) {
  switch (status) {
    case JobStatus::kCompleted:
    case JobStatus::kPartiallyCompleted:
    case JobStatus::kFailed:
    case JobStatus::kStopped:
    case JobStatus::kExpired:
      return true;
    default:
      return false;
  }
}

bool is_allowed_transition(JobStatus from, JobStatus to) {
  using S = JobStatus;
  switch (from) {
    case S::kSubmitted:
      return to == S::kValidating || to == S::kFailed || to == S::kStopping;
    case S::kValidating:
      return to == S::kScheduled || to == S::kFailed || to == S::kStopping;
    case S::kScheduled:
      return to == S::kInProgress || to == S::kExpired || to == S::kStopping;
    case S::kInProgress:
      // Past the expiration time a running job ends PartiallyCompleted (spec §6).
      return to == S::kCompleted || to == S::kPartiallyCompleted || to == S::kFailed || to == S::kStopping;
    case S::kStopping:
      return to == S::kStopped;
    default:
      return false;
  }
}

}  // namespace batchgate::bedrock_emulator
