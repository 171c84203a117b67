// A Bedrock job's status in the batch's terms (spec/bedrock-batch.md §6, spec/openai-batch.md §3.6).
#include "server/batch/bedrock_job_status.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace batchgate::batch {
namespace {

using storage::BatchStatus;
using translators::MissingReason;

struct StatusRow {
  std::string bedrock;
  JobState state;
  std::optional<BatchStatus> ends_as;
  MissingReason missing;
  bool known;
};

// Readable test labels in gtest and ctest output.
void PrintTo(const StatusRow& row, std::ostream* out) { *out << '"' << row.bedrock << '"'; }

class BedrockJobStatusTest : public testing::TestWithParam<StatusRow> {};

TEST_P(BedrockJobStatusTest, MapsBedrockJobStatusToTheBatchsTerms) {
  const StatusRow& row = GetParam();
  const JobView view = bedrock_job_view(row.bedrock);
  EXPECT_EQ(view.state, row.state) << row.bedrock;
  ASSERT_EQ(view.ending.has_value(), row.ends_as.has_value()) << row.bedrock;
  if (view.ending) {
    EXPECT_EQ(view.ending->status, *row.ends_as) << row.bedrock;
    EXPECT_EQ(view.ending->missing, row.missing) << row.bedrock;
  }
  EXPECT_EQ(is_known_bedrock_job_status(row.bedrock), row.known) << row.bedrock;
}

constexpr auto kNone = MissingReason::kMissingOutput;

INSTANTIATE_TEST_SUITE_P(
    Batch, BedrockJobStatusTest,
    testing::Values(StatusRow{"Submitted", JobState::kPending, std::nullopt, kNone, true},
                    StatusRow{"Validating", JobState::kPending, std::nullopt, kNone, true},
                    StatusRow{"Scheduled", JobState::kRunning, std::nullopt, kNone, true},
                    StatusRow{"InProgress", JobState::kRunning, std::nullopt, kNone, true},
                    StatusRow{"Completed", JobState::kEnded, BatchStatus::kCompleted, MissingReason::kMissingOutput, true},
                    // The timeout stopped a running job: expired, as OpenAI ends a batch past its window.
                    StatusRow{"PartiallyCompleted", JobState::kEnded, BatchStatus::kExpired,
                              MissingReason::kBatchExpired, true},
                    // A job may fail after processing records: what it wrote is collected and billed.
                    StatusRow{"Failed", JobState::kEnded, BatchStatus::kFailed, MissingReason::kBatchFailed,
                              true},
                    StatusRow{"Stopping", JobState::kStopping, std::nullopt, kNone, true},
                    StatusRow{"Stopped", JobState::kEnded, BatchStatus::kCancelled, MissingReason::kBatchCancelled, true},
                    StatusRow{"Expired", JobState::kEnded, BatchStatus::kExpired, MissingReason::kBatchExpired, true},
                    // Case matters: Bedrock sends exactly these spellings.
                    StatusRow{"completed", JobState::kPending, std::nullopt, kNone, false},
                    StatusRow{"", JobState::kPending, std::nullopt, kNone, false},
                    // Default row: a status AWS adds later stays non-terminal, so polling goes on.
                    StatusRow{"SomeNewStatus", JobState::kPending, std::nullopt, kNone, false}));

TEST(BatchStatus, OneStringPerStatusBothWays) {
  for (BatchStatus status : storage::kAllBatchStatuses)
    EXPECT_EQ(storage::parse_batch_status(storage::to_string(status)), status) << storage::to_string(status);
  EXPECT_FALSE(storage::parse_batch_status("Completed"));
  EXPECT_FALSE(storage::parse_batch_status(""));
  EXPECT_TRUE(storage::is_terminal(BatchStatus::kCompleted));
  EXPECT_TRUE(storage::is_terminal(BatchStatus::kCancelled));
  EXPECT_TRUE(storage::is_active(BatchStatus::kCancelling));
  EXPECT_TRUE(storage::is_active(BatchStatus::kFinalizing));
}

}  // namespace
}  // namespace batchgate::batch
