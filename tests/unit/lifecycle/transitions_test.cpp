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
      // A failed job may have written answers: they are collected, the batch ends failed.
      {"in_progress", "arn", "Failed", false, Action::kCollect},
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
      {"in_progress", "Failed", "in_progress", true},       // ends failed once what it wrote is collected
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
  // A runner's job that ends without results (JobState::kFailed) fails the batch at once.
  auto failed = observe(batch("in_progress"), JobView{JobState::kFailed, std::nullopt},
                        std::string("role cannot read s3://x"), 700);
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
  EXPECT_EQ(ending_for("Failed")->status, BatchStatus::kFailed);
  EXPECT_EQ(ending_for("Failed")->missing, MissingReason::kBatchFailed);
  EXPECT_FALSE(ending_for("InProgress"));
}

TEST(Transitions, PollIntervalBacksOff) {
  EXPECT_EQ(next_interval(0, false, 10, 300), 10);
  EXPECT_EQ(next_interval(10, false, 10, 300), 20);
  EXPECT_EQ(next_interval(160, false, 10, 300), 300);
  EXPECT_EQ(next_interval(300, false, 10, 300), 300);
  EXPECT_EQ(next_interval(300, true, 10, 300), 10);
}

// A job still queued at Bedrock (Scheduled) in the last quarter of its timeout is flagged in the batch's
// errors; the entry goes once the job starts, and other errors stay.
TEST(Transitions, QueuedNearDeadline) {
  const std::pair<std::int64_t, std::int64_t> queued{1000, 1000 + 24 * 3600};
  EXPECT_FALSE(queued_near_deadline(std::nullopt, 90000));
  EXPECT_FALSE(queued_near_deadline(queued, 1000 + 17 * 3600));
  auto message = queued_near_deadline(queued, 1000 + 18 * 3600);
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("Scheduled"), std::string::npos);
  EXPECT_NE(message->find("24 h timeout"), std::string::npos) << *message;
  EXPECT_EQ(queued_near_deadline(queued, 1000 + 20 * 3600), message) << "the text does not count down";
  EXPECT_TRUE(queued_near_deadline(queued, 1000 + 30 * 3600)) << "past the deadline, still queued";

  const std::string other = batch_errors_json("output_mismatch", "x");
  const std::string flagged = with_queued_warning(other, message);
  EXPECT_NE(flagged.find("bedrock_queued_near_deadline"), std::string::npos);
  EXPECT_NE(flagged.find("output_mismatch"), std::string::npos);
  EXPECT_EQ(with_queued_warning(flagged, message), flagged) << "set once";
  EXPECT_EQ(with_queued_warning(flagged, std::nullopt), other);
  EXPECT_EQ(with_queued_warning(with_queued_warning("", message), std::nullopt), "");
}

}  // namespace
}  // namespace batchgate::batch
