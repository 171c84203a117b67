#include "server/batch/transitions.hpp"

#include <gtest/gtest.h>

#include "server/batch/bedrock_job_status.hpp"

namespace batchgate::batch {
namespace {

storage::BatchRecord batch(const std::string& status) {
  storage::BatchRecord b;
  b.id = "batch_x";
  b.status = storage::parse_batch_status(status).value();
  b.created_at = 100;
  return b;
}

storage::JobRecord job(std::string arn, std::string bedrock_status = "", bool stop_requested = false) {
  storage::JobRecord j;
  j.job_arn = std::move(arn);
  j.bedrock_status = std::move(bedrock_status);
  j.stop_requested = stop_requested;
  return j;
}

TEST(Transitions, NextActionTable) {
  struct Row {
    const char* status;
    const char* arn;
    const char* bedrock;
    bool stop_requested;
    Action expected;
  };
  const Row rows[] = {
      {"validating", "", "", false, Action::kSubmit},
      {"cancelling", "", "", false, Action::kCancelWithoutJob},
      {"validating", "arn", "Submitted", false, Action::kPoll},
      {"in_progress", "arn", "InProgress", false, Action::kPoll},
      {"cancelling", "arn", "InProgress", false, Action::kStop},
      {"cancelling", "arn", "Stopping", true, Action::kPoll},
      {"finalizing", "arn", "Completed", false, Action::kCollect},
      {"cancelling", "arn", "Stopped", true, Action::kCollect},
      {"in_progress", "arn", "Expired", false, Action::kCollect},
      {"in_progress", "arn", "Failed", false, Action::kPoll},  // a poll turns it failed
      {"completed", "arn", "Completed", false, Action::kNone},
      {"failed", "", "", false, Action::kNone},
      {"cancelled", "arn", "Stopped", true, Action::kNone},
      {"expired", "arn", "Expired", false, Action::kNone},
  };
  for (const auto& r : rows)
    EXPECT_EQ(
        next_action(batch(r.status), job(r.arn, r.bedrock, r.stop_requested), bedrock_job_view(r.bedrock)),
        r.expected)
        << r.status << " / " << r.bedrock;
}

TEST(Transitions, ObserveMapsBedrockStatusesWithTimestamps) {
  struct Row {
    const char* before;
    const char* bedrock;
    const char* after;
    bool collect;
  };
  const Row rows[] = {
      {"validating", "Submitted", "validating", false},
      {"validating", "Validating", "validating", false},
      {"validating", "Scheduled", "in_progress", false},
      {"validating", "InProgress", "in_progress", false},
      {"in_progress", "Completed", "finalizing", true},
      {"in_progress", "PartiallyCompleted", "in_progress", true},  // ends expired once collected
      {"in_progress", "Stopping", "cancelling", false},
      {"cancelling", "InProgress", "cancelling", false},  // a cancel is not undone by a late poll
      {"cancelling", "Stopped", "cancelling", true},
      {"in_progress", "Expired", "in_progress", true},
      {"in_progress", "Failed", "failed", false},
      {"validating", "SomethingNew", "validating", false},  // default row: unknown statuses keep polling
  };
  for (const auto& r : rows) {
    auto o = observe(batch(r.before), bedrock_job_view(r.bedrock), std::string("why"), 500);
    EXPECT_EQ(storage::to_string(o.batch.status), r.after) << r.bedrock;
    EXPECT_EQ(o.collect, r.collect) << r.bedrock;
    EXPECT_EQ(o.changed, std::string(r.before) != r.after) << r.bedrock;
  }
  auto running = observe(batch("validating"), bedrock_job_view("InProgress"), std::nullopt, 500);
  EXPECT_EQ(running.batch.in_progress_at, 500);
  auto done = observe(batch("in_progress"), bedrock_job_view("Completed"), std::nullopt, 600);
  EXPECT_EQ(done.batch.finalizing_at, 600);
  auto failed =
      observe(batch("in_progress"), bedrock_job_view("Failed"), std::string("role cannot read s3://x"), 700);
  EXPECT_EQ(failed.batch.failed_at, 700);
  EXPECT_NE(failed.batch.errors_json.find("role cannot read s3://x"), std::string::npos);
  auto stopping = observe(batch("in_progress"), bedrock_job_view("Stopping"), std::nullopt, 800);
  EXPECT_EQ(stopping.batch.cancelling_at, 800);
}

TEST(Transitions, EndingsAndMissingReasons) {
  using storage::BatchStatus;
  using translators::MissingReason;
  auto ending_for = [](const char* bedrock_status) { return bedrock_job_view(bedrock_status).ending; };
  EXPECT_EQ(ending_for("Completed")->status, BatchStatus::kCompleted);
  EXPECT_EQ(ending_for("Completed")->missing, MissingReason::kMissingOutput);
  EXPECT_EQ(ending_for("PartiallyCompleted")->status, BatchStatus::kExpired);
  EXPECT_EQ(ending_for("PartiallyCompleted")->missing, MissingReason::kBatchExpired);
  EXPECT_EQ(ending_for("Stopped")->status, BatchStatus::kCancelled);
  EXPECT_EQ(ending_for("Stopped")->missing, MissingReason::kBatchCancelled);
  EXPECT_EQ(ending_for("Expired")->status, BatchStatus::kExpired);
  EXPECT_FALSE(ending_for("Failed"));
  EXPECT_FALSE(ending_for("InProgress"));
}

TEST(Transitions, PollIntervalBacksOff) {
  EXPECT_EQ(next_interval(0, false, 10, 300), 10);
  EXPECT_EQ(next_interval(10, false, 10, 300), 20);
  EXPECT_EQ(next_interval(160, false, 10, 300), 300);
  EXPECT_EQ(next_interval(300, false, 10, 300), 300);
  EXPECT_EQ(next_interval(300, true, 10, 300), 10);
}

}  // namespace
}  // namespace batchgate::batch
