// The chain against local stand-ins for IMDSv2, the container endpoint and STS AssumeRoleWithWebIdentity
// (metadata_server.py), plus credential_process and precedence through the whole chain.
#include <gtest/gtest.h>

#include "tests/integration/credentials/fixtures.hpp"

namespace batchgate::aws::testing {
namespace {

namespace asio = boost::asio;
using std::chrono::minutes;

class MetadataChainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new MetadataServer(); }
  static void TearDownTestSuite() { delete server_; }
  void SetUp() override { ASSERT_TRUE(server_->ready()) << "metadata_server.py did not start"; }
  void TearDown() override { server_->set_mode("normal"); }

  CredentialsResolver resolver(std::map<std::string, std::string> vars, config::AwsAuth auth = {},
                               CredentialsOptions* tweak = nullptr) {
    CredentialsOptions options = base_options(std::move(vars), home_, clock_);
    options.imds_endpoint = server_->url();
    options.container_host = server_->url();
    options.sts_endpoint = server_->url();
    if (tweak) {
      options.imds_endpoint = tweak->imds_endpoint;
      options.warn = tweak->warn;
      options.blocking_pool = tweak->blocking_pool;
    }
    return make_credentials_resolver(auth, "us-east-1", http_, options);
  }
  std::string key(const CredentialsResolver& resolve) {
    auto credentials = run(io_, resolve());
    return credentials ? credentials->access_key_id : "error: " + credentials.error().message;
  }

  static MetadataServer* server_;
  asio::io_context io_;
  HttpClient http_{io_.get_executor()};
  TempHome home_{"metadata"};
  TestClock clock_;
};

MetadataServer* MetadataChainTest::server_ = nullptr;

TEST_F(MetadataChainTest, ImdsV2TokenRoleAndCredentialsThenRefreshNearExpiry) {
  const int tokens = server_->count("imds-token");
  const int fetches = server_->count("imds-creds");
  CredentialsResolver resolve = resolver({});
  auto credentials = run(io_, resolve());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->access_key_id, "ASIAIMDS" + std::to_string(fetches + 1));
  EXPECT_EQ(credentials->secret_access_key, "imds-secret");
  EXPECT_EQ(credentials->session_token, "imds-session");
  EXPECT_EQ(server_->count("imds-token"), tokens + 1);  // the stand-in answers 401 without the token

  clock_.now += minutes(30);  // the stand-in's credentials last an hour
  EXPECT_EQ(key(resolve), credentials->access_key_id);
  EXPECT_EQ(server_->count("imds-creds"), fetches + 1);

  clock_.now += minutes(26);  // 4 minutes left: refreshed
  EXPECT_EQ(key(resolve), "ASIAIMDS" + std::to_string(fetches + 2));
  EXPECT_EQ(server_->count("imds-token"), tokens + 2);
}

TEST_F(MetadataChainTest, ImdsAnswering200WithAnErrorCodeIsReported) {
  server_->set_mode("code-error");
  std::string result = key(resolver({}));
  EXPECT_NE(result.find("error: EC2 instance metadata"), std::string::npos) << result;
  EXPECT_NE(result.find("AssumeRoleUnauthorizedAccess"), std::string::npos) << result;
  server_->set_mode("no-role");
  result = key(resolver({}));
  EXPECT_NE(result.find("no IAM role is attached"), std::string::npos) << result;
}

TEST_F(MetadataChainTest, ImdsV1FallbackWhenTheTokenPutIsRefusedUnlessDisabled) {
  server_->set_mode("v1-only");
  const int fetches = server_->count("imds-creds");
  EXPECT_EQ(key(resolver({})), "ASIAIMDS" + std::to_string(fetches + 1));
  std::string refused = key(resolver({{"AWS_EC2_METADATA_V1_DISABLED", "true"}}));
  EXPECT_NE(refused.find("token request answered HTTP 405"), std::string::npos) << refused;
}

TEST_F(MetadataChainTest, UnreachableImdsFailsFastAndListsTheSourcesTried) {
  CredentialsOptions tweak;
  tweak.imds_endpoint = "http://127.0.0.1:" + std::to_string(test::free_port());
  auto started = std::chrono::steady_clock::now();
  std::string result = key(resolver({}, {}, &tweak));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  for (const char* part : {"error: EC2 instance metadata", "AWS_ACCESS_KEY_ID not set",
                           "profile \"default\" not found", "token request failed"}) {
    EXPECT_NE(result.find(part), std::string::npos) << part << " missing from: " << result;
  }
}

TEST_F(MetadataChainTest, ImdsDisabledByEnvironmentIsNotContacted) {
  const int tokens = server_->count("imds-token");
  std::string result = key(resolver({{"AWS_EC2_METADATA_DISABLED", "true"}}));
  EXPECT_NE(result.find("no AWS credentials found"), std::string::npos) << result;
  EXPECT_EQ(server_->count("imds-token"), tokens);
}

TEST_F(MetadataChainTest, ContainerRelativeUriWithTokenFileAndRefresh) {
  std::string token_file = home_.write("container-token", "container-token\n");
  const int served = server_->count("container");
  CredentialsResolver resolve = resolver({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/container/creds"},
                                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}});
  EXPECT_EQ(key(resolve), "ASIACONT" + std::to_string(served + 1));
  clock_.now += minutes(58);
  EXPECT_EQ(key(resolve), "ASIACONT" + std::to_string(served + 2));
}

TEST_F(MetadataChainTest, ContainerFullUriWithAWrongTokenIsRefused) {
  std::string result =
      key(resolver({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server_->url() + "/container/creds"},
                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"}}));
  EXPECT_NE(
      result.find("error: container endpoint: " + server_->url() + "/container/creds answered HTTP 403"),
      std::string::npos)
      << result;
  EXPECT_EQ(result.find("wrong"), std::string::npos) << "the token must not appear in messages: " << result;
}

TEST_F(MetadataChainTest, WebIdentityIsUnsignedAndRereadsTheTokenFileOnRefresh) {
  std::string token_file = home_.write("web-token", "jwt-one\n");
  CredentialsResolver resolve = resolver({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                          {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod"},
                                          {"AWS_ROLE_SESSION_NAME", "pod-session"}});
  auto credentials = run(io_, resolve());
  ASSERT_TRUE(credentials) << credentials.error().message;  // the stand-in refuses signed calls
  EXPECT_EQ(credentials->access_key_id, "ASIAWEBjwt-one");
  EXPECT_EQ(credentials->session_token, "web-session-pod-session");
  home_.write("web-token", "jwt-two");  // rotated by the kubelet
  clock_.now += minutes(10);
  EXPECT_EQ(key(resolve), "ASIAWEBjwt-one");
  clock_.now += minutes(47);
  EXPECT_EQ(key(resolve), "ASIAWEBjwt-two");
}

TEST_F(MetadataChainTest, WebIdentityRejectionCarriesStsCode) {
  std::string token_file = home_.write("bad-token", "not-a-jwt");
  std::string result = key(resolver(
      {{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file}, {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod"}}));
  EXPECT_NE(result.find("AssumeRoleWithWebIdentity arn:aws:iam::123456789012:role/pod"), std::string::npos)
      << result;
  EXPECT_NE(result.find("InvalidIdentityToken"), std::string::npos) << result;
  std::string missing = key(resolver({{"AWS_WEB_IDENTITY_TOKEN_FILE", home_.path() + "/nope"},
                                      {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod"}}));
  EXPECT_NE(missing.find("cannot read token file"), std::string::npos) << missing;
}

TEST_F(MetadataChainTest, CredentialProcessFromTheDefaultProfile) {
  std::string script = home_.write("creds.sh",
                                   "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\","
                                   "\"SecretAccessKey\":\"p\"}'\n",
                                   true);
  home_.write(".aws/config", "[default]\ncredential_process = " + script + "\n");
  EXPECT_EQ(key(resolver({})), "AKIAPROCESS");
  // The same on a pool the application lends (its blocking pool).
  asio::thread_pool pool(2);
  CredentialsOptions tweak;
  tweak.imds_endpoint = server_->url();
  tweak.blocking_pool = &pool;
  EXPECT_EQ(key(resolver({}, {}, &tweak)), "AKIAPROCESS");
}

TEST_F(MetadataChainTest, PrecedenceThroughTheWholeChain) {
  home_.write(".aws/credentials",
              "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = p\n"
              "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = o\n");
  const std::map<std::string, std::string> env_keys = {{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                                       {"AWS_SECRET_ACCESS_KEY", "e"}};
  config::AwsAuth explicit_keys;
  explicit_keys.access_key_id = "AKIACONFIG";
  explicit_keys.secret_access_key = "c";
  config::AwsAuth explicit_profile;
  explicit_profile.profile_name = "other";
  EXPECT_EQ(key(resolver(env_keys, explicit_keys)), "AKIACONFIG");
  EXPECT_EQ(key(resolver(env_keys, explicit_profile)), "AKIAOTHER");
  EXPECT_EQ(key(resolver(env_keys)), "AKIAENV");
  EXPECT_EQ(key(resolver({})), "AKIAPROFILE");
  EXPECT_EQ(key(resolver({{"AWS_PROFILE", "other"}})), "AKIAOTHER");
}

TEST_F(MetadataChainTest, ProviderLogsTheReasonAndReturnsACredentialsError) {
  std::vector<std::string> logged;
  CredentialsOptions options = base_options({{"AWS_ACCESS_KEY_ID", "AKIAHALF"}}, home_, clock_);
  options.warn = [&logged](const std::string& message) { logged.push_back(message); };
  CredentialsProvider provider = make_credentials_provider({}, "us-east-1", http_, options);
  auto credentials = run(io_, provider());
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error(), make_error_code(HttpErrc::kCredentials));
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0],
            "AWS credentials unavailable: environment: AWS_ACCESS_KEY_ID is set but "
            "AWS_SECRET_ACCESS_KEY is not");
}

}  // namespace
}  // namespace batchgate::aws::testing
