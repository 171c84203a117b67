#include "server/batch/bedrock_job_status.hpp"

#include <array>

namespace batchgate::batch {
namespace {

using storage::BatchStatus;
using translators::MissingReason;

struct Row {
  std::string_view bedrock;
  JobState state;
  BatchStatus ends_as;  // for kEnded
  MissingReason missing;
};

constexpr std::array<Row, 10> kRows = {{
    {"Submitted", JobState::kPending, {}, {}},
    {"Validating", JobState::kPending, {}, {}},
    {"Scheduled", JobState::kRunning, {}, {}},
    {"InProgress", JobState::kRunning, {}, {}},
    {"Completed", JobState::kEnded, BatchStatus::kCompleted, MissingReason::kMissingOutput},
    // The job's timeout (the batch's completion window) stopped it while it ran, with not every record
    // processed (spec/bedrock-batch.md §6): OpenAI's expired, answered records in the output file, the rest
    // batch_expired in the error file (spec/openai-batch.md §3.6).
    {"PartiallyCompleted", JobState::kEnded, BatchStatus::kExpired, MissingReason::kBatchExpired},
    // A job can fail after processing records: what it wrote is collected and billed, the rest reported
    // batch_failed; a job that wrote nothing ends the batch failed without files (BatchCore::finish).
    {"Failed", JobState::kEnded, BatchStatus::kFailed, MissingReason::kBatchFailed},
    {"Stopping", JobState::kStopping, {}, {}},
    {"Stopped", JobState::kEnded, BatchStatus::kCancelled, MissingReason::kBatchCancelled},
    {"Expired", JobState::kEnded, BatchStatus::kExpired, MissingReason::kBatchExpired},
}};

const Row* find_row(std::string_view bedrock_status) {
  for (const Row& row : kRows)
    if (row.bedrock == bedrock_status) return &row;
  return nullptr;
}

}  // namespace

JobView bedrock_job_view(std::string_view bedrock_status) {
  const Row* row = find_row(bedrock_status);
  if (row == nullptr) return {JobState::kPending, std::nullopt};
  if (row->state != JobState::kEnded) return {row->state, std::nullopt};
  return {JobState::kEnded, Ending{row->ends_as, row->missing}};
}

bool is_known_bedrock_job_status(std::string_view bedrock_status) {
  return find_row(bedrock_status) != nullptr;
}

}  // namespace batchgate::batch
