// Parsing of the credential documents (container, IMDS, credential_process, STS XML), ISO-8601 times,
// STS form bodies, and the refresh decision (spec/aws-sigv4-s3.md §4.4–4.6, §5).
#include <gtest/gtest.h>

#include "server/aws/credentials_documents.hpp"
#include "server/aws/sts_protocol.hpp"

namespace batchgate::aws {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

SystemTime at(long long unix_seconds) {
  return SystemTime(seconds(unix_seconds));
}

TEST(Iso8601, ParsesTheFormsAwsSends) {
  // 2024-01-15T13:00:00Z = 1705323600
  EXPECT_EQ(parse_iso8601("2024-01-15T13:00:00Z"), at(1705323600));
  EXPECT_EQ(parse_iso8601("2024-01-15T13:00:00.123Z"), at(1705323600));
  EXPECT_EQ(parse_iso8601("2024-01-15T14:00:00+01:00"), at(1705323600));
  EXPECT_EQ(parse_iso8601("2024-01-15T12:30:00-00:30"), at(1705323600));
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), at(0));
  EXPECT_EQ(parse_iso8601("2000-02-29T00:00:00Z"), at(951782400));
}

TEST(Iso8601, RejectsMalformedTimes) {
  EXPECT_FALSE(parse_iso8601(""));
  EXPECT_FALSE(parse_iso8601("2024-01-15"));
  EXPECT_FALSE(parse_iso8601("2024-13-15T13:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2024-01-15T13:00:00 UTC"));
  EXPECT_FALSE(parse_iso8601("15/01/2024 13:00"));
}

TEST(ContainerCredentials, ReadsKeysTokenAndExpiration) {
  auto parsed = parse_container_credentials(
      R"({"AccessKeyId":"ASIACONT","SecretAccessKey":"s","Token":"t","Expiration":"2024-01-15T13:00:00Z",
          "RoleArn":"arn:aws:iam::123456789012:role/task"})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->credentials.access_key_id, "ASIACONT");
  EXPECT_EQ(parsed->credentials.secret_access_key, "s");
  EXPECT_EQ(parsed->credentials.session_token, "t");
  EXPECT_EQ(parsed->expiration, at(1705323600));
}

TEST(ContainerCredentials, NamesMissingFieldsWithoutEchoingSecrets) {
  auto parsed = parse_container_credentials(R"({"AccessKeyId":"ASIACONT","SecretAccessKey":"topsecret"})");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("Token"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("Expiration"), std::string::npos);
  EXPECT_EQ(parsed.error().message.find("topsecret"), std::string::npos);
  EXPECT_FALSE(parse_container_credentials("not json"));
  EXPECT_FALSE(parse_container_credentials("[1,2]"));
}

TEST(ImdsCredentials, ReadsASuccessDocument) {
  auto parsed = parse_imds_credentials(
      R"({"Code":"Success","LastUpdated":"2024-01-15T12:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",
          "SecretAccessKey":"s","Token":"t","Expiration":"2024-01-15T13:00:00Z"})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(parsed->expiration, at(1705323600));
}

TEST(ImdsCredentials, A200WithAnErrorCodeIsAnError) {
  auto parsed = parse_imds_credentials(
      R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role","LastUpdated":"x"})");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("EC2 cannot assume the role"), std::string::npos);
}

TEST(ImdsCredentials, AllFourFieldsAreRequired) {
  auto parsed =
      parse_imds_credentials(R"({"Code":"Success","AccessKeyId":"A","SecretAccessKey":"s","Token":"t"})");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("Expiration"), std::string::npos);
}

TEST(ProcessCredentials, VersionOneWithOptionalTokenAndExpiration) {
  auto long_term = parse_process_credentials(R"({"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s"})");
  ASSERT_TRUE(long_term) << long_term.error().message;
  EXPECT_FALSE(long_term->credentials.session_token);
  EXPECT_FALSE(long_term->expiration);
  auto temporary = parse_process_credentials(
      R"({"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s","SessionToken":"t","Expiration":"2024-01-15T13:00:00Z"})");
  ASSERT_TRUE(temporary);
  EXPECT_EQ(temporary->credentials.session_token, "t");
  EXPECT_EQ(temporary->expiration, at(1705323600));
}

TEST(ProcessCredentials, RejectsOtherVersionsAndMissingKeys) {
  EXPECT_FALSE(parse_process_credentials(R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"})"));
  EXPECT_FALSE(parse_process_credentials(R"({"AccessKeyId":"A","SecretAccessKey":"s"})"));
  EXPECT_FALSE(parse_process_credentials(R"({"Version":1,"AccessKeyId":"A"})"));
  EXPECT_FALSE(parse_process_credentials(
      R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"soon"})"));
}

TEST(StsXml, AssumeRoleResponse) {
  const char* xml = R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>
      <SessionToken>token</SessionToken><Expiration>2024-01-15T13:00:00Z</Expiration></Credentials>
    <AssumedRoleUser><AssumedRoleId>AROA:batch</AssumedRoleId><Arn>arn:aws:sts::1:assumed-role/R/batch</Arn></AssumedRoleUser>
  </AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>)";
  auto parsed = parse_sts_credentials(200, xml);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->credentials.access_key_id, "ASIAROLE");
  EXPECT_EQ(parsed->credentials.secret_access_key, "secret");
  EXPECT_EQ(parsed->credentials.session_token, "token");
  EXPECT_EQ(parsed->expiration, at(1705323600));
}

TEST(StsXml, WebIdentityResponse) {
  const char* xml = R"(<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>
    <Credentials><AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>
    <Expiration>2024-01-15T13:00:00.000Z</Expiration></Credentials><Provider>oidc</Provider>
    </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>)";
  auto parsed = parse_sts_credentials(200, xml);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->credentials.access_key_id, "ASIAWEB");
}

TEST(StsXml, ErrorResponseCarriesCodeAndMessage) {
  const char* xml = R"(<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>
    <Message>User is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r</RequestId></ErrorResponse>)";
  auto parsed = parse_sts_credentials(403, xml);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("403"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("AccessDenied"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("not authorized"), std::string::npos);
  EXPECT_FALSE(parse_sts_credentials(500, "gateway exploded"));
  EXPECT_FALSE(parse_sts_credentials(200, "<AssumeRoleResponse/>"));
}

TEST(StsForm, AssumeRoleBodyIsUriEncoded) {
  AssumeRoleParams params;
  params.role_arn = "arn:aws:iam::123456789012:role/BedrockBatchRole";
  params.role_session_name = "batch-proxy";
  params.duration_seconds = 3600;
  // The body of spec §5.1.
  EXPECT_EQ(assume_role_form(params),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%"
            "2FBedrockBatchRole"
            "&RoleSessionName=batch-proxy&DurationSeconds=3600");
  params.external_id = "ext id/1";
  params.duration_seconds.reset();
  EXPECT_NE(assume_role_form(params).find("&ExternalId=ext%20id%2F1"), std::string::npos);
}

TEST(StsForm, WebIdentityBodyCarriesTheToken) {
  WebIdentityParams params{"arn:aws:iam::1:role/r", "s", "eyJ.a+b/c=", std::nullopt};
  EXPECT_EQ(web_identity_form(params),
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
            "&RoleSessionName=s&WebIdentityToken=eyJ.a%2Bb%2Fc%3D");
}

TEST(StsEndpoint, RegionalByDefaultOverridable) {
  EXPECT_EQ(sts_endpoint("eu-west-1", ""), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(sts_endpoint("", ""), "https://sts.amazonaws.com");
  EXPECT_EQ(sts_endpoint("eu-west-1", "http://127.0.0.1:5000"), "http://127.0.0.1:5000");
}

struct RefreshRow {
  const char* name;
  bool cached;
  std::optional<long long> expires_in;        // seconds after now; nullopt: long-term keys
  std::optional<long long> last_attempt_ago;  // seconds before now
  RefreshNeed expected;
};

TEST(RefreshNeed, Table) {
  const SystemTime now = at(1'700'000'000);
  const RefreshPolicy policy;  // 5 min window, 10 s between advisory retries
  const RefreshRow rows[] = {
      {"nothing cached", false, std::nullopt, std::nullopt, RefreshNeed::kMandatory},
      {"long-term keys", true, std::nullopt, 1, RefreshNeed::kNone},
      {"an hour left", true, 3600, 1, RefreshNeed::kNone},
      {"just outside the window", true, 301, 1, RefreshNeed::kNone},
      {"inside the window", true, 299, 3600, RefreshNeed::kAdvisory},
      {"inside the window, tried 5 s ago", true, 299, 5, RefreshNeed::kNone},
      {"inside the window, tried 11 s ago", true, 299, 11, RefreshNeed::kAdvisory},
      {"expired", true, 0, 1, RefreshNeed::kMandatory},
      {"expired, tried just now", true, -10, 0, RefreshNeed::kMandatory},
  };
  for (const RefreshRow& row : rows) {
    std::optional<TimedCredentials> cached;
    if (row.cached) {
      cached.emplace();
      if (row.expires_in) cached->expiration = now + seconds(*row.expires_in);
    }
    std::optional<SystemTime> last;
    if (row.last_attempt_ago) last = now - seconds(*row.last_attempt_ago);
    EXPECT_EQ(refresh_need(cached, now, last, policy), row.expected) << row.name;
  }
}

}  // namespace
}  // namespace batchgate::aws
