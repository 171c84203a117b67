// The batch lifecycle and the batch core's steps on test doubles (tests/support/fakes/core_rig.hpp): every
// state transition, resuming after a restart, and failing steps retried without starting a second job.
#include "server/background/lifecycle.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/fakes/core_rig.hpp"
#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::background {
namespace {

using batch::JobProgress;
using nlohmann::json;
using storage::BatchStatus;
using test::CoreRig;
using test::FakeRunner;
using test::MemoryObjectStore;
using namespace batch::test;  // chat_mappings, claude_success, bedrock_failure, record_id, parse_jsonl

JobProgress progress(std::string status, std::optional<std::int64_t> completed = std::nullopt) {
  return {std::move(status), std::nullopt, completed, std::nullopt, std::nullopt, std::nullopt};
}

class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest() : rig_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  // A purpose=batch file of `requests` one-record chat requests, as an upload stores it.
  std::string add_input_file(int requests) {
    storage::FileRecord f;
    f.id = "file-in" + std::to_string(++files_);
    f.purpose = "batch";
    f.filename = "in.jsonl";
    f.created_at = rig_.clock.now_seconds();
    f.model = "claude-batch";
    f.endpoint = "/v1/chat/completions";
    f.line_count = f.record_count = requests;
    f.content_s3_uri = "s3://rig-bucket/pre/files/" + f.id + "/original.jsonl";
    f.bedrock_s3_uri = "s3://rig-bucket/pre/files/" + f.id + "/input.jsonl";
    EXPECT_TRUE(rig_.sqlite().insert_file(f, chat_mappings(requests)).has_value());
    return f.id;
  }

  std::string create(const std::string& file_id) {
    batch::CreateBatchParams params;
    params.input_file_id = file_id;
    params.endpoint = "/v1/chat/completions";
    auto created = rig_.run(rig_.core().create(master_, params));
    EXPECT_TRUE(std::holds_alternative<storage::BatchRecord>(created));
    return std::get<storage::BatchRecord>(created).id;
  }

  bool ends(const std::string& id, BatchStatus status) {
    return rig_.run_until([&] { return rig_.batch(id).status == status; });
  }

  std::vector<json> lines_of(const std::string& file_id) {
    auto row = rig_.sqlite().find_file(file_id);
    if (!row.has_value() || !*row) return {};
    auto location = aws::parse_s3_uri((**row).content_s3_uri);
    return parse_jsonl(rig_.objects.get(*location).value_or(""));
  }

  CoreRig rig_;
  batch::Principal master_{true, {}};
  int files_ = 0;
};

TEST_F(LifecycleTest, ABatchRunsThroughEveryStateAndEndsWithItsFiles) {
  const std::string id = create(add_input_file(4));
  EXPECT_EQ(rig_.batch(id).status, BatchStatus::kValidating);
  rig_.runner.script(
      {progress("pending"), progress("running", 1), progress("running", 2), progress("completed", 3)});
  rig_.runner.output(claude_success(record_id(1), "one", 10, 5) + "\n" +
                     bedrock_failure(record_id(2), 400, "bad") + "\n" +
                     claude_success(record_id(3), "three", 20, 7) + "\n");
  rig_.start_background();

  std::set<BatchStatus> seen;
  ASSERT_TRUE(rig_.run_until([&] {
    seen.insert(rig_.batch(id).status);
    return rig_.batch(id).status == BatchStatus::kCompleted;
  }));
  EXPECT_TRUE(seen.contains(BatchStatus::kInProgress));
  const storage::BatchRecord b = rig_.batch(id);
  EXPECT_EQ(rig_.runner.jobs_started(), 1);
  EXPECT_TRUE(b.in_progress_at && b.finalizing_at && b.completed_at);
  EXPECT_LE(*b.in_progress_at, *b.finalizing_at);
  EXPECT_EQ(b.total, 4);
  EXPECT_EQ(b.completed, 2);
  EXPECT_EQ(b.failed, 2);
  EXPECT_EQ(b.input_tokens, 30);
  EXPECT_EQ(b.output_tokens, 12);
  // Batch prices of the model: 30 × 0.000001 + 12 × 0.000005.
  EXPECT_NEAR(b.spend, 30 * 0.000001 + 12 * 0.000005, 1e-12);
  auto output = lines_of(b.output_file_id);
  auto errors = lines_of(b.error_file_id);
  ASSERT_EQ(output.size(), 2u);
  ASSERT_EQ(errors.size(), 2u);
  std::set<std::string> failed;
  for (const json& line : errors) failed.insert(line["custom_id"]);
  EXPECT_EQ(failed, (std::set<std::string>{"req-2", "req-4"}));
  EXPECT_TRUE(rig_.objects.exists({"rig-bucket", "pre/batches/" + id + "/output.jsonl"}));
  EXPECT_EQ(rig_.objects.open_writers(), 0);
  storage::SpendQuery every_key;
  every_key.all_keys = true;
  auto spend = rig_.sqlite().list_spend(every_key);
  ASSERT_EQ(spend->size(), 1u);
  EXPECT_NEAR(spend->front().cost, b.spend, 1e-12);
}

TEST_F(LifecycleTest, RecordsRunOnDemandAreSpentAtOnDemandPrices) {
  rig_.runner.set_batch_priced(false);
  const std::string id = create(add_input_file(1));
  rig_.runner.script({progress("completed", 1)});
  rig_.runner.output(claude_success(record_id(1), "one", 10, 5) + "\n");
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  EXPECT_NEAR(rig_.batch(id).spend, 10 * 0.000002 + 5 * 0.00001, 1e-12);
}

TEST_F(LifecycleTest, CancelledBeforeTheJobStartedEndsWithoutAJob) {
  rig_.runner.refuse_submits(1000);  // throttled: the job never starts
  const std::string id = create(add_input_file(2));
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return rig_.runner.submit_calls() >= 2; }));
  auto cancelled = rig_.run(rig_.core().cancel(master_, id));
  ASSERT_TRUE(std::holds_alternative<storage::BatchRecord>(cancelled));
  EXPECT_EQ(std::get<storage::BatchRecord>(cancelled).status, BatchStatus::kCancelling);
  ASSERT_TRUE(ends(id, BatchStatus::kCancelled));
  EXPECT_EQ(rig_.runner.jobs_started(), 0);
  EXPECT_EQ(rig_.runner.stop_calls(), 0);
  EXPECT_TRUE(rig_.batch(id).cancelled_at);
}

TEST_F(LifecycleTest, CancellingARunningJobStopsItOnceAndReportsTheRestCancelled) {
  const std::string id = create(add_input_file(3));
  rig_.runner.script({progress("running", 1)});
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kInProgress));
  auto cancelled = rig_.run(rig_.core().cancel(master_, id));
  ASSERT_TRUE(std::holds_alternative<storage::BatchRecord>(cancelled));
  rig_.runner.script({progress("stopping"), progress("stopping"), progress("cancelled", 1)});
  rig_.runner.output(claude_success(record_id(1), "one", 1, 1) + "\n");
  ASSERT_TRUE(ends(id, BatchStatus::kCancelled));
  EXPECT_EQ(rig_.runner.stop_calls(), 1);
  const auto b = rig_.batch(id);
  EXPECT_EQ(b.completed, 1);
  EXPECT_EQ(b.failed, 2);
  for (const json& line : lines_of(b.error_file_id)) EXPECT_EQ(line["error"]["code"], "batch_cancelled");
  // A second cancel of a finished batch returns it unchanged.
  auto again = rig_.run(rig_.core().cancel(master_, id));
  EXPECT_EQ(std::get<storage::BatchRecord>(again).status, BatchStatus::kCancelled);
}

TEST_F(LifecycleTest, AJobRefusedForGoodFailsTheBatchWithTheReason) {
  rig_.runner.refuse_submits(1, {false, "ValidationException", "role cannot read the bucket"});
  const std::string id = create(add_input_file(2));
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kFailed));
  const auto b = rig_.batch(id);
  EXPECT_NE(b.errors_json.find("ValidationException"), std::string::npos);
  EXPECT_NE(b.errors_json.find("role cannot read the bucket"), std::string::npos);
  EXPECT_TRUE(b.failed_at);
  EXPECT_EQ(rig_.runner.submit_calls(), 1);
}

TEST_F(LifecycleTest, ThrottledSubmitsAndPollsBackOffAndTheBatchStillCompletesWithOneJob) {
  rig_.runner.refuse_submits(3);
  rig_.runner.fail_polls(2);
  const std::string id = create(add_input_file(1));
  rig_.runner.script({progress("completed", 1)});
  rig_.runner.output(claude_success(record_id(1), "one", 1, 1) + "\n");
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  EXPECT_EQ(rig_.runner.submit_calls(), 4);
  EXPECT_EQ(rig_.runner.jobs_started(), 1);
  EXPECT_GE(rig_.runner.poll_calls(), 3);
}

TEST_F(LifecycleTest, AFailedJobFailsTheBatchWithItsMessage) {
  const std::string id = create(add_input_file(2));
  JobProgress failed = progress("failed");
  failed.message = "input is not JSONL";
  rig_.runner.script({progress("running"), failed});
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kFailed));
  EXPECT_NE(rig_.batch(id).errors_json.find("input is not JSONL"), std::string::npos);
  EXPECT_TRUE(rig_.batch(id).output_file_id.empty());
}

TEST_F(LifecycleTest, AnExpiredJobEndsTheBatchExpiredWithItsAnswers) {
  const std::string id = create(add_input_file(2));
  rig_.runner.script({progress("running"), progress("expired", 1)});
  rig_.runner.output(claude_success(record_id(2), "two", 1, 1) + "\n");
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kExpired));
  const auto b = rig_.batch(id);
  EXPECT_TRUE(b.expired_at);
  ASSERT_EQ(lines_of(b.output_file_id).size(), 1u);
  EXPECT_EQ(lines_of(b.error_file_id).front()["error"]["code"], "batch_expired");
}

TEST_F(LifecycleTest, ARestartResumesEveryBatchWithoutStartingASecondJob) {
  const std::string id = create(add_input_file(2));
  rig_.runner.script({progress("running", 1)});
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kInProgress));
  rig_.restart();
  rig_.runner.script({progress("completed", 2)});
  rig_.runner.output(claude_success(record_id(1), "a", 1, 1) + "\n" +
                     claude_success(record_id(2), "b", 1, 1) + "\n");
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  EXPECT_EQ(rig_.runner.jobs_started(), 1);
  EXPECT_EQ(rig_.runner.submit_calls(), 1);
  EXPECT_EQ(rig_.batch(id).completed, 2);
}

// The job started but its id was never stored (a crash, here a store failure, right after submit): the next
// round submits again with the same token, and the runner starts nothing new.
TEST_F(LifecycleTest, ASubmitWhoseAnswerWasLostIsRepeatedWithTheSameToken) {
  const std::string id = create(add_input_file(1));
  rig_.store().fail_next("update_job");
  rig_.runner.script({progress("completed", 1)});
  rig_.runner.output(claude_success(record_id(1), "a", 1, 1) + "\n");
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  EXPECT_EQ(rig_.runner.submit_calls(), 2);
  EXPECT_EQ(rig_.runner.jobs_started(), 1);
}

TEST_F(LifecycleTest, FailingStepsOfTheFinishAreRetriedAndLeaveNothingBehind) {
  const std::string id = create(add_input_file(2));
  rig_.runner.script({progress("completed", 2)});
  rig_.runner.output(claude_success(record_id(1), "a", 3, 1) + "\n" +
                     claude_success(record_id(2), "b", 3, 1) + "\n");
  rig_.objects.fail_next(MemoryObjectStore::Op::kFinish);  // storing the output file fails once
  rig_.store().fail_next("file_mappings");                 // reading the mappings fails once
  rig_.store().fail_next("finish_batch");                  // writing the result fails once
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  EXPECT_GE(rig_.store().calls("finish_batch"), 2);
  EXPECT_EQ(rig_.objects.open_writers(), 0);
  EXPECT_EQ(rig_.runner.jobs_started(), 1);
  storage::SpendQuery every_key;
  every_key.all_keys = true;
  auto spend = rig_.sqlite().list_spend(every_key);
  ASSERT_EQ(spend->size(), 1u) << "spend is recorded once however often the finish ran";
  EXPECT_EQ(lines_of(rig_.batch(id).output_file_id).size(), 2u);
}

TEST_F(LifecycleTest, ARunningBatchKeepsItsInputFileAndCompletes) {
  const std::string file = add_input_file(1);
  const std::string id = create(file);
  rig_.runner.script({progress("completed", 1)});
  rig_.runner.output(claude_success(record_id(1), "a", 1, 1) + "\n");
  auto removed = rig_.sqlite().delete_file(file);
  ASSERT_TRUE(removed.has_error()) << "a running batch's input file cannot be deleted";
  EXPECT_EQ(removed.error().code, storage::ErrorCode::kConflict);
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
}

}  // namespace
}  // namespace batchgate::background
