// The job queue driven by the lifecycle on test doubles (tests/support/fakes/core_rig.hpp): a model's
// max_concurrent_jobs holds however many batches wait, keys take turns, a quota answer from Bedrock keeps the
// batch waiting instead of failing it, and a batch whose completion window passes in the queue expires.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/fakes/core_rig.hpp"
#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::background {
namespace {

using storage::BatchStatus;
using test::CoreRig;
using namespace batch::test;  // chat_mappings, claude_success, record_id

config::Settings one_job_at_a_time() {
  config::Settings s = test::rig_settings();
  s.models.front().max_concurrent_jobs = 1;
  return s;
}

class JobQueueTest : public ::testing::Test {
 protected:
  explicit JobQueueTest(config::Settings settings = one_job_at_a_time())
      : rig_(::testing::UnitTest::GetInstance()->current_test_info()->name(), std::move(settings)) {
    rig_.runner.output(claude_success(record_id(1), "one", 1, 1) + "\n");
  }

  batch::Principal key(const std::string& hash) {
    storage::KeyRecord k;
    k.token_hash = hash;
    k.created_at = k.updated_at = rig_.clock.now_seconds();
    k.id = *rig_.sqlite().insert_key(k);
    return {false, k};
  }

  // A one-request batch of `who`, created at the rig's current second.
  std::string create(const batch::Principal& who) {
    storage::FileRecord f;
    f.id = "file-in" + std::to_string(++files_);
    f.owner_key_id = who.owner_id();
    f.purpose = "batch";
    f.filename = "in.jsonl";
    f.created_at = rig_.clock.now_seconds();
    f.model = "claude-batch";
    f.endpoint = "/v1/chat/completions";
    f.line_count = f.record_count = 1;
    f.content_s3_uri = "s3://rig-bucket/pre/files/" + f.id + "/original.jsonl";
    f.bedrock_s3_uri = "s3://rig-bucket/pre/files/" + f.id + "/input.jsonl";
    EXPECT_TRUE(rig_.sqlite().insert_file(f, chat_mappings(1)).has_value());
    batch::CreateBatchParams params;
    params.input_file_id = f.id;
    params.endpoint = "/v1/chat/completions";
    auto created = rig_.run(rig_.core().create(who, params));
    EXPECT_TRUE(std::holds_alternative<storage::BatchRecord>(created));
    rig_.clock.advance(1);
    return std::get<storage::BatchRecord>(created).id;
  }

  CoreRig rig_;
  int files_ = 0;
};

TEST_F(JobQueueTest, OneJobAtATimeAndTheSecondKeyIsNotLast) {
  const auto alice = key("alice");
  const auto bob = key("bob");
  const std::string a1 = create(alice);
  const std::string a2 = create(alice);
  const std::string b1 = create(bob);
  rig_.runner.complete_each_job_after(3);
  rig_.start_background();
  std::optional<std::int64_t> a2_position;
  ASSERT_TRUE(rig_.run_until([&] {
    if (!a2_position) a2_position = rig_.core().queue_position(a2);
    return rig_.batch(a2).status == BatchStatus::kCompleted;
  }));
  for (const auto& id : {a1, a2, b1}) EXPECT_EQ(rig_.batch(id).status, BatchStatus::kCompleted) << id;
  EXPECT_EQ(rig_.runner.peak_running(), 1);
  EXPECT_EQ(rig_.runner.start_order(), (std::vector<std::string>{a1, b1, a2}));
  EXPECT_EQ(a2_position, 2) << "behind bob's batch while alice's first runs";
  EXPECT_FALSE(rig_.core().queue_position(a2));
  EXPECT_EQ(rig_.runner.submit_calls(), 3) << "no submit was tried while the model was full";
}

// The count of jobs in flight comes from the store: after a restart the running job still holds the slot.
TEST_F(JobQueueTest, TheSlotIsStillTakenAfterARestart) {
  const auto alice = key("alice");
  const std::string a1 = create(alice);
  const std::string a2 = create(alice);
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return rig_.runner.jobs_started() == 1; }));
  rig_.restart();
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return rig_.core().queue_position(a2) == 1; }));
  rig_.run_until([] { return false; }, 5);
  EXPECT_EQ(rig_.runner.jobs_started(), 1);
  EXPECT_EQ(rig_.batch(a2).status, BatchStatus::kValidating);
  rig_.runner.complete_each_job_after(0);
  ASSERT_TRUE(rig_.run_until([&] { return rig_.batch(a2).status == BatchStatus::kCompleted; }));
  EXPECT_EQ(rig_.batch(a1).status, BatchStatus::kCompleted);
  EXPECT_EQ(rig_.runner.peak_running(), 1);
}

TEST_F(JobQueueTest, AQueuedBatchWhoseWindowPassesExpiresWithTheReason) {
  const auto alice = key("alice");
  const std::string running = create(alice);
  const std::string queued = create(key("bob"));
  rig_.start_background();  // the first job runs and never ends (the fake's default script)
  ASSERT_TRUE(rig_.run_until([&] { return rig_.core().queue_position(queued) == 1; }));
  rig_.clock.advance(24 * 3600);
  ASSERT_TRUE(rig_.run_until([&] { return rig_.batch(queued).status == BatchStatus::kExpired; }));
  const storage::BatchRecord b = rig_.batch(queued);
  EXPECT_TRUE(b.expired_at);
  EXPECT_NE(b.errors_json.find("job_quota_full"), std::string::npos) << b.errors_json;
  EXPECT_NE(b.errors_json.find("never started"), std::string::npos) << b.errors_json;
  EXPECT_TRUE(b.output_file_id.empty());
  EXPECT_EQ(rig_.runner.start_order(), std::vector<std::string>{running});
}

class BedrockQuotaTest : public JobQueueTest {
 protected:
  BedrockQuotaTest() : JobQueueTest(test::rig_settings()) {}
};

// ServiceQuotaExceededException is "full", not a failure: the batch waits in validating, the others behind it
// wait too, and all start once the quota has room, each job once.
TEST_F(BedrockQuotaTest, AQuotaAnswerKeepsBatchesWaitingUntilTheyRun) {
  rig_.runner.refuse_submits(3, {true, "ServiceQuotaExceededException", "maximum number of jobs", true});
  rig_.runner.complete_each_job_after(1);
  const auto alice = key("alice");
  const std::string first = create(alice);
  const std::string second = create(key("bob"));
  rig_.start_background();
  bool refused = false;
  bool waited_in_line = false;
  std::set<BatchStatus> seen;
  ASSERT_TRUE(rig_.run_until([&] {
    refused = refused || rig_.job(first).quota_full_at || rig_.job(second).quota_full_at;
    waited_in_line =
        waited_in_line || rig_.core().queue_position(first) || rig_.core().queue_position(second);
    for (const auto& id : {first, second}) seen.insert(rig_.batch(id).status);
    return rig_.batch(first).status == BatchStatus::kCompleted &&
           rig_.batch(second).status == BatchStatus::kCompleted;
  }));
  EXPECT_TRUE(refused);
  EXPECT_TRUE(waited_in_line) << "the model was full: the batches waited in line";
  EXPECT_FALSE(seen.contains(BatchStatus::kFailed));
  EXPECT_EQ(rig_.runner.jobs_started(), 2);
  EXPECT_EQ(rig_.runner.submit_calls(), 5) << "3 refusals, then one submit per batch";
  EXPECT_FALSE(rig_.job(first).quota_full_at);
  EXPECT_TRUE(rig_.job(first).started_at);
}

}  // namespace
}  // namespace batchgate::background
