#include "validation.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace batchgate::bedrock_emulator {
namespace {

using nlohmann::json;

json valid_body() {
  // The exact request of spec/bedrock-batch.md §3.
  return json::parse(R"({"jobName": "my-job-1", "roleArn": "arn:aws:iam::123456789012:role/BedrockBatchRole",
    "clientRequestToken": "tok-123", "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
    "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://in-bucket/batch/job1/input.jsonl", "s3InputFormat": "JSONL"}},
    "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://out-bucket/batch/job1/"}},
    "timeoutDurationInHours": 24, "tags": [{"key": "k", "value": "v"}]})");
}

TEST(EmulatorValidation, AcceptsTheSpecRequest) {
  const auto result = validate_create_request(valid_body().dump());
  ASSERT_TRUE(std::holds_alternative<CreateRequest>(result)) << std::get<ApiError>(result).message;
  const auto& r = std::get<CreateRequest>(result);
  EXPECT_EQ(r.job_name, "my-job-1");
  EXPECT_EQ(r.client_request_token, "tok-123");
  EXPECT_EQ(r.input_s3_uri, "s3://in-bucket/batch/job1/input.jsonl");
  EXPECT_EQ(r.output_s3_uri, "s3://out-bucket/batch/job1/");
  EXPECT_EQ(r.timeout_hours, 24);
  ASSERT_EQ(r.tags.size(), 1u);
  EXPECT_EQ(r.invocation_type, "InvokeModel");
}

struct BadCase {
  const char* name;
  const char* pointer;  // JSON pointer of the member to replace ("" = remove whole body member below)
  json value;           // null → remove the member
  const char* field;    // expected in the message
};

class EmulatorCreateValidation : public testing::TestWithParam<BadCase> {};

TEST_P(EmulatorCreateValidation, RejectsWithValidationException) {
  const BadCase& c = GetParam();
  json body = valid_body();
  const json::json_pointer pointer(c.pointer);
  if (c.value.is_null()) {
    body[pointer.parent_pointer()].erase(pointer.back());
  } else {
    body[pointer] = c.value;
  }
  const auto result = validate_create_request(body.dump());
  ASSERT_TRUE(std::holds_alternative<ApiError>(result)) << c.name;
  const auto& error = std::get<ApiError>(result);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.type, "ValidationException");
  EXPECT_NE(error.message.find(c.field), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("validation error"), std::string::npos) << error.message;
}

INSTANTIATE_TEST_SUITE_P(
    EmulatorSpecSection2, EmulatorCreateValidation,
    testing::Values(
        BadCase{"underscore job name", "/jobName", "my_job", "jobName"},
        BadCase{"job name starting with hyphen", "/jobName", "-job", "jobName"},
        BadCase{"job name too long", "/jobName", std::string(64, 'a'), "jobName"},
        BadCase{"missing job name", "/jobName", nullptr, "jobName"},
        BadCase{"token with underscore", "/clientRequestToken", "batch_x", "clientRequestToken"},
        BadCase{"token ending with hyphen", "/clientRequestToken", "abc-", "clientRequestToken"},
        BadCase{"token too long", "/clientRequestToken", std::string(257, 'a'), "clientRequestToken"},
        BadCase{"role not iam", "/roleArn", "arn:aws:s3:::bucket", "roleArn"},
        BadCase{"missing role", "/roleArn", nullptr, "roleArn"},
        BadCase{"model id with space", "/modelId", "claude 3", "modelId"},
        BadCase{"input uri with colon", "/inputDataConfig/s3InputDataConfig/s3Uri",
                "s3://in-bucket/a:b.jsonl", "inputDataConfig.s3InputDataConfig.s3Uri"},
        BadCase{"input uri uppercase bucket", "/inputDataConfig/s3InputDataConfig/s3Uri",
                "s3://In-Bucket/x.jsonl", "s3Uri"},
        BadCase{"output uri with equals", "/outputDataConfig/s3OutputDataConfig/s3Uri", "s3://out/a=b/",
                "s3Uri"},
        BadCase{"input format csv", "/inputDataConfig/s3InputDataConfig/s3InputFormat", "CSV",
                "s3InputFormat"},
        BadCase{"bucket owner", "/inputDataConfig/s3InputDataConfig/s3BucketOwner", "12345", "s3BucketOwner"},
        BadCase{"kms key", "/outputDataConfig/s3OutputDataConfig/s3EncryptionKeyId", "not a key",
                "s3EncryptionKeyId"},
        BadCase{"empty input union", "/inputDataConfig", json::object(), "inputDataConfig"},
        BadCase{"two-member output union", "/outputDataConfig",
                json{{"s3OutputDataConfig", {{"s3Uri", "s3://out/x/"}}}, {"other", {{"a", 1}}}},
                "outputDataConfig"},
        BadCase{"missing input config", "/inputDataConfig", nullptr, "inputDataConfig"},
        BadCase{"timeout 23", "/timeoutDurationInHours", 23, "timeoutDurationInHours"},
        BadCase{"timeout 169", "/timeoutDurationInHours", 169, "timeoutDurationInHours"},
        BadCase{"tag key empty", "/tags/0/key", "", "tags.1.member.key"},
        BadCase{"tag value bad char", "/tags/0/value", "a*b", "tags.1.member.value"},
        BadCase{"vpc without security groups", "/vpcConfig", json{{"subnetIds", {"subnet-1"}}},
                "securityGroupIds"},
        BadCase{"vpc with bad id", "/vpcConfig",
                json{{"subnetIds", {"sub_1"}}, {"securityGroupIds", {"sg-1"}}}, "subnetIds"},
        BadCase{"invocation type", "/modelInvocationType", "Chat", "modelInvocationType"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

TEST(EmulatorValidation, ReportsEveryViolationAtOnce) {
  json body = valid_body();
  body["jobName"] = "bad_name";
  body["timeoutDurationInHours"] = 500;
  const auto result = validate_create_request(body.dump());
  ASSERT_TRUE(std::holds_alternative<ApiError>(result));
  EXPECT_EQ(std::get<ApiError>(result).message.rfind("2 validation errors detected: ", 0), 0u);
}

TEST(EmulatorValidation, PatternsAcceptWhatBedrockAccepts) {
  EXPECT_TRUE(is_valid_job_name("oai-batch-abc123"));
  EXPECT_TRUE(is_valid_job_name("a+b.c--d"));
  EXPECT_TRUE(is_valid_client_token("0b7c3c2e-2d51-4a4e-9d0f-6a1d1b7f7a11"));
  EXPECT_TRUE(is_valid_s3_uri("s3://bucket"));
  EXPECT_TRUE(is_valid_s3_uri("s3://my.bucket-1/a/b_c/(x)!*'.jsonl"));
  EXPECT_FALSE(is_valid_s3_uri("s3://bucket/a b"));
  EXPECT_FALSE(is_valid_s3_uri("https://bucket/x"));
  EXPECT_TRUE(is_valid_model_id("us.anthropic.claude-3-5-haiku-20241022-v1:0"));
  EXPECT_TRUE(is_valid_model_id("amazon.titan-embed-text-v2:0"));
  EXPECT_TRUE(is_valid_model_id("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"));
  EXPECT_TRUE(
      is_valid_model_id("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"));
  EXPECT_FALSE(is_valid_model_id("anthropic claude"));
}

TEST(EmulatorValidation, ListQueryLimitsAndDefaults) {
  const auto defaults = validate_list_query({});
  ASSERT_TRUE(std::holds_alternative<ListQuery>(defaults));
  EXPECT_EQ(std::get<ListQuery>(defaults).max_results, 100);
  EXPECT_EQ(std::get<ListQuery>(defaults).sort_order, SortOrder::kDescending);

  const auto ok = validate_list_query({{"maxResults", "1000"},
                                       {"statusEquals", "InProgress"},
                                       {"sortOrder", "Ascending"},
                                       {"submitTimeAfter", "2024-01-01T00:00:00Z"}});
  ASSERT_TRUE(std::holds_alternative<ListQuery>(ok));
  EXPECT_EQ(std::get<ListQuery>(ok).status_equals, JobStatus::kInProgress);
  EXPECT_EQ(std::get<ListQuery>(ok).sort_order, SortOrder::kAscending);
  EXPECT_TRUE(std::get<ListQuery>(ok).submit_time_after.has_value());

  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"maxResults", "0"},
                                                        {"maxResults", "1001"},
                                                        {"maxResults", "x"},
                                                        {"statusEquals", "Running"},
                                                        {"sortBy", "Name"},
                                                        {"sortOrder", "Up"},
                                                        {"nameContains", "a_b"},
                                                        {"submitTimeBefore", "yesterday"}}) {
    const auto bad = validate_list_query({{name, value}});
    ASSERT_TRUE(std::holds_alternative<ApiError>(bad)) << name << "=" << value;
    EXPECT_NE(std::get<ApiError>(bad).message.find(name), std::string::npos);
  }
}

TEST(EmulatorValidation, JobIdentifierIsArnOrBareId) {
  EXPECT_EQ(parse_job_identifier("abcdefghij12"), "abcdefghij12");
  EXPECT_EQ(parse_job_identifier("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12"),
            "abcdefghij12");
  EXPECT_FALSE(parse_job_identifier("ABCDEFGHIJ12"));
  EXPECT_FALSE(parse_job_identifier("abc"));
  EXPECT_FALSE(
      parse_job_identifier("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job%2Fabcdefghij12"));
}

TEST(EmulatorTimestamps, RoundTripAndOffsets) {
  const auto t = parse_iso8601("2024-01-15T12:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_iso8601(*t), "2024-01-15T12:00:00.000Z");
  EXPECT_EQ(parse_iso8601("2024-01-15T13:30:00.250+01:30"), *t + std::chrono::milliseconds(250));
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-01-15T12:00:00.123456Z")), "2024-01-15T12:00:00.123Z");
  EXPECT_FALSE(parse_iso8601("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2024-01-01 00:00"));
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
