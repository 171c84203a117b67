// The file-expiry sweep on test doubles: files past expires_at lose their row and their objects, the input of
// a running batch is kept until the batch ends, and a failing delete is retried at the next round.
#include "server/background/file_expiry.hpp"

#include <gtest/gtest.h>

#include "tests/support/fakes/core_rig.hpp"
#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::background {
namespace {

using test::CoreRig;
using test::MemoryObjectStore;

class FileExpiryTest : public ::testing::Test {
 protected:
  FileExpiryTest() : rig_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  // A stored input file with both objects, expiring `in` seconds from now.
  storage::FileRecord add_file(const std::string& id, std::int64_t in) {
    storage::FileRecord f;
    f.id = id;
    f.purpose = "batch";
    f.filename = id + ".jsonl";
    f.created_at = rig_.clock.now_seconds();
    f.expires_at = rig_.clock.now_seconds() + in;
    f.model = "claude-batch";
    f.endpoint = "/v1/chat/completions";
    f.line_count = f.record_count = 1;
    f.content_s3_uri = "s3://rig-bucket/pre/files/" + id + "/original.jsonl";
    f.bedrock_s3_uri = "s3://rig-bucket/pre/files/" + id + "/input.jsonl";
    rig_.objects.put(*aws::parse_s3_uri(f.content_s3_uri), "{}\n");
    rig_.objects.put(*aws::parse_s3_uri(f.bedrock_s3_uri), "{}\n");
    EXPECT_TRUE(rig_.sqlite().insert_file(f, batch::test::chat_mappings(1)).has_value());
    return f;
  }
  bool row_exists(const std::string& id) { return bool(*rig_.sqlite().find_file(id)); }
  std::size_t sweep() { return rig_.run(rig_.expiry().sweep()); }

  CoreRig rig_;
};

TEST_F(FileExpiryTest, FilesPastTheirExpiryLoseRowAndObjects) {
  const auto due = add_file("file-due", 10);
  const auto later = add_file("file-later", 1000);
  EXPECT_EQ(sweep(), 0u);
  rig_.clock.advance(11);
  EXPECT_EQ(sweep(), 1u);
  EXPECT_FALSE(row_exists(due.id));
  EXPECT_FALSE(rig_.objects.exists(*aws::parse_s3_uri(due.content_s3_uri)));
  EXPECT_FALSE(rig_.objects.exists(*aws::parse_s3_uri(due.bedrock_s3_uri)));
  EXPECT_TRUE(row_exists(later.id));
  EXPECT_TRUE(rig_.objects.exists(*aws::parse_s3_uri(later.content_s3_uri)));
}

TEST_F(FileExpiryTest, TheInputOfARunningBatchIsKeptUntilTheBatchEnds) {
  const auto input = add_file("file-input", 10);
  batch::CreateBatchParams params;
  params.input_file_id = input.id;
  params.endpoint = "/v1/chat/completions";
  auto created = rig_.run(rig_.core().create(batch::Principal{true, {}}, params));
  ASSERT_TRUE(std::holds_alternative<storage::BatchRecord>(created));
  rig_.clock.advance(20);
  EXPECT_EQ(sweep(), 0u) << "not due while the batch runs";
  EXPECT_TRUE(row_exists(input.id));
  auto cancelled =
      rig_.run(rig_.core().cancel(batch::Principal{true, {}}, std::get<storage::BatchRecord>(created).id));
  ASSERT_TRUE(std::holds_alternative<storage::BatchRecord>(cancelled));
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return !row_exists(input.id); }));
  EXPECT_FALSE(rig_.objects.exists(*aws::parse_s3_uri(input.content_s3_uri)));
}

TEST_F(FileExpiryTest, AFailedDeleteIsTriedAgainAtTheNextRound) {
  const auto due = add_file("file-flaky", 1);
  rig_.clock.advance(5);
  rig_.store().fail_next("delete_file");
  EXPECT_EQ(sweep(), 1u);
  EXPECT_TRUE(row_exists(due.id)) << "the row stays when its delete failed";
  EXPECT_TRUE(rig_.objects.exists(*aws::parse_s3_uri(due.content_s3_uri))) << "objects go only after the row";
  rig_.store().fail_next("expired_files");
  EXPECT_EQ(sweep(), 0u) << "a failed read is a round without work";
  EXPECT_EQ(sweep(), 1u);
  EXPECT_FALSE(row_exists(due.id));
  EXPECT_FALSE(rig_.objects.exists(*aws::parse_s3_uri(due.content_s3_uri)));
}

TEST_F(FileExpiryTest, AnObjectThatCannotBeDeletedIsLeftAndTheRowIsStillGone) {
  const auto due = add_file("file-stuck", 1);
  rig_.clock.advance(5);
  rig_.objects.fail_next(MemoryObjectStore::Op::kRemove);
  EXPECT_EQ(sweep(), 1u);
  EXPECT_FALSE(row_exists(due.id));
  EXPECT_TRUE(rig_.objects.exists(*aws::parse_s3_uri(due.content_s3_uri))) << "the failed delete left it";
  EXPECT_FALSE(rig_.objects.exists(*aws::parse_s3_uri(due.bedrock_s3_uri)));
}

}  // namespace
}  // namespace batchgate::background
