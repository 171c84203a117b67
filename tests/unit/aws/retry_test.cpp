// Pure parts of the retry policy and of AWS error parsing (table-driven, with explicit default rows).
#include "server/aws/retry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/aws/aws_error.hpp"

namespace batchgate::aws {
namespace {

struct ClassifyRow {
  int status;
  std::string code;
  RetryReason expected;
};

TEST(Retry, ClassifiesResponses) {
  const std::vector<ClassifyRow> rows = {
      {200, "", RetryReason::kNone},
      {204, "", RetryReason::kNone},
      {206, "", RetryReason::kNone},
      {429, "", RetryReason::kThrottling},
      {429, "ThrottlingException", RetryReason::kThrottling},
      {400, "Throttling", RetryReason::kThrottling},
      {503, "SlowDown", RetryReason::kThrottling},
      {400, "RequestLimitExceeded", RetryReason::kThrottling},
      {400, "TooManyRequestsException", RetryReason::kThrottling},
      {500, "", RetryReason::kTransient},
      {500, "InternalServerException", RetryReason::kTransient},
      {500, "InternalError", RetryReason::kTransient},
      {502, "", RetryReason::kTransient},
      {503, "", RetryReason::kTransient},
      {504, "", RetryReason::kTransient},
      {400, "ValidationException", RetryReason::kNone},
      {400, "ServiceQuotaExceededException", RetryReason::kNone},
      {400, "ConflictException", RetryReason::kNone},
      {403, "SignatureDoesNotMatch", RetryReason::kNone},
      {403, "AccessDeniedException", RetryReason::kNone},
      {404, "NoSuchKey", RetryReason::kNone},
      {416, "InvalidRange", RetryReason::kNone},
      {501, "NotImplemented", RetryReason::kNone},
      {418, "", RetryReason::kNone},  // default row: unknown 4xx is final
  };
  for (const ClassifyRow& row : rows) {
    EXPECT_EQ(classify_response(row.status, row.code), row.expected) << row.status << " " << row.code;
  }
}

TEST(Retry, FullJitterExponentialBackoffIsCapped) {
  RetryPolicy policy;
  policy.random = [] { return 0.999999; };
  EXPECT_EQ(backoff_delay(policy, 1).count(), 99);
  EXPECT_EQ(backoff_delay(policy, 2).count(), 199);
  EXPECT_EQ(backoff_delay(policy, 3).count(), 399);
  EXPECT_EQ(backoff_delay(policy, 8).count(), 12799);
  EXPECT_EQ(backoff_delay(policy, 9).count(), 19999);   // capped at 20 s
  EXPECT_EQ(backoff_delay(policy, 60).count(), 19999);  // no overflow
  policy.random = [] { return 0.0; };
  EXPECT_EQ(backoff_delay(policy, 5).count(), 0);
  policy.random = [] { return 0.5; };
  EXPECT_EQ(backoff_delay(policy, 3).count(), 200);
}

TEST(Retry, DefaultRandomStaysWithinBounds) {
  RetryPolicy policy;
  for (int i = 0; i < 200; ++i) {
    auto delay = backoff_delay(policy, 2);
    EXPECT_GE(delay.count(), 0);
    EXPECT_LE(delay.count(), 200);
  }
}

struct ErrorRow {
  std::string name;
  HttpResponse response;
  std::string code;
  std::string message;
};

TEST(AwsError, ParsesEveryProtocolsErrorShape) {
  const std::vector<ErrorRow> rows = {
      {"s3 xml",
       {404, {}, "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"},
       "NoSuchKey",
       "gone"},
      {"sts xml",
       {403,
        {},
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error>"
        "</ErrorResponse>"},
       "AccessDenied",
       "no"},
      {"rest-json header wins",
       {400,
        {{"x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/"}},
        R"({"__type":"Other","message":"bad name"})"},
       "ValidationException",
       "bad name"},
      {"rest-json __type with namespace",
       {429, {}, R"({"__type":"com.amazonaws.bedrock#ThrottlingException","Message":"slow"})"},
       "ThrottlingException",
       "slow"},
      {"json code", {400, {}, R"({"code":"ConflictException","message":"dup"})"}, "ConflictException", "dup"},
      {"head without body", {404, {}, ""}, "", ""},
      {"html garbage", {502, {}, "<html><body>bad gateway</body></html>"}, "", ""},
  };
  for (const ErrorRow& row : rows) {
    AwsError error = parse_aws_error(row.response);
    EXPECT_EQ(error.http_status, row.response.status) << row.name;
    EXPECT_EQ(error.code, row.code) << row.name;
    EXPECT_EQ(error.message, row.message) << row.name;
  }
}

TEST(HttpTypes, ParsesEndpointUrls) {
  auto url = parse_url("http://127.0.0.1:5000");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 5000);
  EXPECT_EQ(url->host_header(), "127.0.0.1:5000");
  url = parse_url("https://s3.eu-west-1.amazonaws.com/");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->is_tls());
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->host_header(), "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(url->base_path, "");
  url = parse_url("http://[::1]:9000/prefix/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:9000");
  EXPECT_EQ(url->base_path, "/prefix");
  EXPECT_FALSE(parse_url("ftp://x"));
  EXPECT_FALSE(parse_url("http://:80"));
  EXPECT_FALSE(parse_url("http://h:99999"));
  EXPECT_FALSE(parse_url("s3.amazonaws.com"));
}

}  // namespace
}  // namespace batchgate::aws
