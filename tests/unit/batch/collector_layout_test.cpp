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
