// Bedrock's output layout (spec/bedrock-batch.md §8.2): keys and manifest.
#include "server/batch/collector_layout.hpp"

#include <gtest/gtest.h>

namespace batchgate::batch {
namespace {

TEST(CollectorLayout, JobIdIsTheLastArnSegment) {
  EXPECT_EQ(job_id_from_arn("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc123xyz"), "abc123xyz");
  EXPECT_EQ(job_id_from_arn("abc123xyz"), "abc123xyz");
}

TEST(CollectorLayout, OutputKeys) {
  EXPECT_EQ(bedrock_output_key("out/batches", "job1", "input.jsonl"), "out/batches/job1/input.jsonl.out");
  EXPECT_EQ(bedrock_output_key("/out/batches/", "job1", "input.jsonl"), "out/batches/job1/input.jsonl.out");
  EXPECT_EQ(bedrock_output_key("", "job1", "input.jsonl"), "job1/input.jsonl.out");
  EXPECT_EQ(bedrock_manifest_key("out/", "job1"), "out/job1/manifest.json.out");
  EXPECT_EQ(bedrock_manifest_key("", "job1"), "job1/manifest.json.out");
}

TEST(CollectorLayout, Manifest) {
  auto manifest = parse_manifest(
      R"({"totalRecordCount":120,"processedRecordCount":110,"successRecordCount":100,"errorRecordCount":10,)"
      R"("inputTokenCount":5000,"outputTokenCount":700})");
  ASSERT_TRUE(manifest);
  EXPECT_EQ(*manifest, (BedrockManifest{120, 110, 100, 10, 5000, 700}));
  EXPECT_EQ(parse_manifest(R"({"totalRecordCount":3})").value(), (BedrockManifest{3, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(parse_manifest("not json"));
  EXPECT_FALSE(parse_manifest("[1,2]"));
}

}  // namespace
}  // namespace batchgate::batch

namespace batchgate::batch {
namespace {

TEST(CollectorLayout, DiscoversTheJobsOutputWhateverItsName) {
  const std::vector<std::string> keys = {
      "out/b1/bedrock/job1/input.results.jsonl.out", "out/b1/bedrock/job1/manifest.json.out",
      "out/b1/bedrock/job1/part2.jsonl.out",         "out/b1/bedrock/job1/notes.txt",
      "out/b1/bedrock/job2/input.jsonl.out",         "out/b1/bedrock/job2/manifest.json.out"};
  EXPECT_EQ(discover_output(keys, "out/b1/bedrock/", "job1"),
            (DiscoveredOutput{
                "out/b1/bedrock/job1/manifest.json.out",
                {"out/b1/bedrock/job1/input.results.jsonl.out", "out/b1/bedrock/job1/part2.jsonl.out"}}));
}

TEST(CollectorLayout, DiscoversOutputWithoutTheJobFolderButNeverAnotherJobs) {
  const std::vector<std::string> flat = {"out/input.jsonl.out", "out/manifest.json.out",
                                         "out/job2/input.jsonl.out", "out/job2/manifest.json.out"};
  EXPECT_EQ(discover_output(flat, "out/", "job1"),
            (DiscoveredOutput{"out/manifest.json.out", {"out/input.jsonl.out"}}));
  // Default row: nothing of this job and nothing directly in the folder.
  EXPECT_EQ(discover_output({"out/job2/input.jsonl.out"}, "out/", "job1"), DiscoveredOutput{});
  EXPECT_EQ(discover_output({}, "out/", "job1"), DiscoveredOutput{});
}

TEST(CollectorLayout, OutputThatDisagreesWithTheManifestIsReported) {
  const BedrockManifest manifest{100, 100, 90, 10, 5000, 700};
  OutputTally agree{manifest, true, 100, 100, true, "s3://b/out/"};
  EXPECT_FALSE(output_disagreement(agree));
  OutputTally lost = agree;
  lost.records_read = 80;
  auto message = output_disagreement(lost);
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("manifest counts 100 processed records"), std::string::npos) << *message;
  EXPECT_NE(message->find("holds 80 of them"), std::string::npos) << *message;
  EXPECT_NE(message->find("s3://b/out/"), std::string::npos) << *message;
  // A completed job without manifest nor output is reported; a stopped one before it ran is not.
  OutputTally nothing{std::nullopt, false, 0, 100, true, "s3://b/out/"};
  EXPECT_TRUE(output_disagreement(nothing));
  nothing.job_completed = false;
  EXPECT_FALSE(output_disagreement(nothing));
  // A partial ending whose output holds what the manifest counts agrees.
  OutputTally partial{BedrockManifest{100, 50, 50, 0, 1, 1}, true, 50, 100, false, "s3://b/out/"};
  EXPECT_FALSE(output_disagreement(partial));
}

}  // namespace
}  // namespace batchgate::batch
