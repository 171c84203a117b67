// Pure parts of server/aws/bedrock_client: wire shapes of spec/bedrock-batch.md §1–§7.

#include "server/aws/bedrock_client.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace batchgate::aws {
namespace {

using nlohmann::json;

TEST(BedrockClientWire, ArnIsOnePercentEncodedLabel) {
  EXPECT_EQ(job_path("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12"),
            "/model-invocation-job/"
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Amodel-invocation-job%2Fabcdefghij12");
  EXPECT_EQ(job_path("abcdefghij12", "/stop"), "/model-invocation-job/abcdefghij12/stop");
}

TEST(BedrockClientWire, CreateBodyMatchesBotocoreOrder) {
  CreateJobRequest r;
  r.job_name = "my-job-1";
  r.role_arn = "arn:aws:iam::123456789012:role/BedrockBatchRole";
  r.client_request_token = "tok-123";
  r.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  r.input.s3_uri = "s3://in-bucket/batch/job1/input.jsonl";
  r.output.s3_uri = "s3://out-bucket/batch/job1/";
  r.timeout_duration_in_hours = 24;
  r.tags = {{"k", "v"}};
  // Same members and order as the botocore capture in spec §3 (without its spaces).
  EXPECT_EQ(
      create_job_body(r),
      R"({"jobName":"my-job-1","roleArn":"arn:aws:iam::123456789012:role/BedrockBatchRole","clientRequestToken":"tok-123","modelId":"anthropic.claude-3-haiku-20240307-v1:0","inputDataConfig":{"s3InputDataConfig":{"s3InputFormat":"JSONL","s3Uri":"s3://in-bucket/batch/job1/input.jsonl"}},"outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://out-bucket/batch/job1/"}},"timeoutDurationInHours":24,"tags":[{"key":"k","value":"v"}]})");
}

TEST(BedrockClientWire, ListQueryEncodesTimestamps) {
  ListJobsRequest r;
  r.max_results = 10;
  r.status_equals = "InProgress";
  r.submit_time_after = *parse_aws_timestamp("2024-01-01T00:00:00Z");
  r.next_token = "a+b/c=";
  EXPECT_EQ(list_jobs_query(r),
            "maxResults=10&nextToken=a%2Bb%2Fc%3D&statusEquals=InProgress&submitTimeAfter=2024-01-01T00%3A00%"
            "3A00Z");
}

TEST(BedrockClientWire, TimestampsInEveryForm) {
  const auto base = *parse_aws_timestamp("2024-01-15T12:00:00Z");
  EXPECT_EQ(format_aws_timestamp(base), "2024-01-15T12:00:00Z");
  EXPECT_EQ(*parse_aws_timestamp("2024-01-15T12:00:00.500Z"), base + std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_aws_timestamp("2024-01-15T12:00:00+00:00"), base);
  EXPECT_EQ(*parse_aws_timestamp("2024-01-15T14:00:00+02:00"), base);
  EXPECT_EQ(*parse_aws_timestamp("1705320000"), base);
  EXPECT_FALSE(parse_aws_timestamp("2024-01-15"));
  EXPECT_FALSE(parse_aws_timestamp("2024-02-30T00:00:00Z"));
}

TEST(BedrockClientWire, ParsesTheSpecGetExample) {
  const auto job = parse_get_job_response(
      R"({"jobArn":"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12",
 "jobName":"oai-batch-7f3k","modelId":"anthropic.claude-3-haiku-20240307-v1:0",
 "clientRequestToken":"0b7c3c2e-2d51-4a4e-9d0f-6a1d1b7f7a11",
 "roleArn":"arn:aws:iam::123456789012:role/BedrockBatchRole","status":"InProgress",
 "submitTime":"2024-01-15T12:00:00Z","lastModifiedTime":"2024-01-15T12:05:10Z",
 "inputDataConfig":{"s3InputDataConfig":{"s3Uri":"s3://in-bucket/batch/job1/input.jsonl","s3InputFormat":"JSONL"}},
 "outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://out-bucket/batch/job1/","s3EncryptionKeyId":"alias/k"}},
 "timeoutDurationInHours":24,"jobExpirationTime":"2024-01-16T12:00:00Z",
 "totalRecordCount":120,"processedRecordCount":40,"successRecordCount":39,"errorRecordCount":1})");
  ASSERT_TRUE(job) << job.error().to_string();
  EXPECT_EQ(job->job_id(), "abcdefghij12");
  EXPECT_EQ(job->status, "InProgress");
  EXPECT_EQ(format_aws_timestamp(job->submit_time), "2024-01-15T12:00:00Z");
  EXPECT_EQ(format_aws_timestamp(*job->job_expiration_time), "2024-01-16T12:00:00Z");
  EXPECT_EQ(job->input.s3_uri, "s3://in-bucket/batch/job1/input.jsonl");
  EXPECT_EQ(job->output.s3_encryption_key_id, "alias/k");
  EXPECT_EQ(job->timeout_duration_in_hours, 24);
  EXPECT_EQ(job->total_record_count, 120);
  EXPECT_EQ(job->error_record_count, 1);
  EXPECT_FALSE(job->end_time);

  EXPECT_FALSE(parse_get_job_response("{}"));
  EXPECT_FALSE(parse_get_job_response("not json"));
}

TEST(BedrockClientWire, ParsesListPages) {
  const auto page = parse_list_jobs_response(
      R"({"invocationJobSummaries":[{"jobArn":"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/aaaaaaaaaaaa","jobName":"a","modelId":"m","roleArn":"r","submitTime":"2024-01-15T12:00:00.123Z","inputDataConfig":{"s3InputDataConfig":{"s3Uri":"s3://b/i.jsonl"}},"outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://b/o/"}}}],"nextToken":"t1"})");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->next_token, "t1");
  const auto last = parse_list_jobs_response("{}");
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->jobs.empty());
  EXPECT_FALSE(last->next_token);
}

struct ErrorCase {
  int status;
  std::vector<Header> headers;
  std::string body;
  BedrockErrc kind;
  std::string code;
};

TEST(BedrockClientWire, ErrorsFollowBotocoreRules) {
  const std::vector<ErrorCase> cases{
      {400,
       {{"x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"}},
       R"({"message":"bad"})",
       BedrockErrc::kValidation,
       "ValidationException"},
      {400,
       {},
       R"({"__type":"com.amazonaws.bedrock#ServiceQuotaExceededException","message":"q"})",
       BedrockErrc::kQuotaExceeded,
       "ServiceQuotaExceededException"},
      {400, {}, R"({"code":"ConflictException","Message":"c"})", BedrockErrc::kConflict, "ConflictException"},
      {404,
       {{"x-amzn-ErrorType", "ResourceNotFoundException"}},
       "{}",
       BedrockErrc::kNotFound,
       "ResourceNotFoundException"},
      {403,
       {{"x-amzn-ErrorType", "AccessDeniedException"}},
       "{}",
       BedrockErrc::kAccessDenied,
       "AccessDeniedException"},
      {403,
       {{"x-amzn-ErrorType", "InvalidSignatureException"}},
       "{}",
       BedrockErrc::kAccessDenied,
       "InvalidSignatureException"},
      {429,
       {{"x-amzn-ErrorType", "ThrottlingException"}},
       "{}",
       BedrockErrc::kThrottling,
       "ThrottlingException"},
      {500,
       {{"x-amzn-ErrorType", "InternalServerException"}},
       "{}",
       BedrockErrc::kInternal,
       "InternalServerException"},
      {503, {}, "", BedrockErrc::kInternal, ""},
      {418, {}, "", BedrockErrc::kOther, ""},
      {400, {{"x-amzn-ErrorType", "SomethingNew"}}, "{}", BedrockErrc::kOther, "SomethingNew"},
  };
  for (const auto& c : cases) {
    HttpResponse response{c.status, c.headers, c.body};
    const BedrockError error = bedrock_error_from_response(response);
    EXPECT_EQ(error.kind, c.kind) << c.status << " " << c.body;
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.http_status, c.status);
  }
  HttpResponse with_message{400,
                            {{"x-amzn-ErrorType", "ValidationException"}},
                            R"({"message":"Job cannot be stopped. State was: Completed"})"};
  EXPECT_EQ(bedrock_error_from_response(with_message).message, "Job cannot be stopped. State was: Completed");
}

}  // namespace
}  // namespace batchgate::aws
