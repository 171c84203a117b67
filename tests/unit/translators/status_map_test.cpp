#include "translators/status_map.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace batchgate::translators {
namespace {

struct StatusRow {
  std::string bedrock;
  std::string openai;
  bool terminal;
  bool known;
};

// Readable test labels in gtest and ctest output.
void PrintTo(const StatusRow& row, std::ostream* out) {
  *out << '"' << row.bedrock << '"';
}

class StatusMapTest : public testing::TestWithParam<StatusRow> {};

TEST_P(StatusMapTest, MapsBedrockJobStatusToOpenAiBatchStatus) {
  const StatusRow& row = GetParam();
  EXPECT_EQ(openai_batch_status(row.bedrock), row.openai) << row.bedrock;
  EXPECT_EQ(is_terminal_job_status(row.bedrock), row.terminal) << row.bedrock;
  EXPECT_EQ(is_known_job_status(row.bedrock), row.known) << row.bedrock;
}

// spec/openai-batch.md §3.6 and spec/bedrock-batch.md §6.
INSTANTIATE_TEST_SUITE_P(Translators, StatusMapTest,
                         testing::Values(StatusRow{"Submitted", "validating", false, true},
                                         StatusRow{"Validating", "validating", false, true},
                                         StatusRow{"Scheduled", "in_progress", false, true},
                                         StatusRow{"InProgress", "in_progress", false, true},
                                         StatusRow{"Completed", "completed", true, true},
                                         StatusRow{"PartiallyCompleted", "completed", true, true},
                                         StatusRow{"Failed", "failed", true, true},
                                         StatusRow{"Stopping", "cancelling", false, true},
                                         StatusRow{"Stopped", "cancelled", true, true},
                                         StatusRow{"Expired", "expired", true, true},
                                         // Case matters: Bedrock sends exactly these spellings.
                                         StatusRow{"completed", "validating", false, false},
                                         StatusRow{"", "validating", false, false},
                                         // Default row: a status AWS adds later stays non-terminal.
                                         StatusRow{"SomeNewStatus", "validating", false, false}));

}  // namespace
}  // namespace batchgate::translators
