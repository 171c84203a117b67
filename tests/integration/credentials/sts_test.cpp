// STS through the chain against moto_server: AssumeRole signed with the base credentials (moto verifies
// SigV4), the role's temporary credentials then accepted by moto's S3 with signature checking on; profile
// role chains; AssumeRoleWithWebIdentity (unsigned, against a second moto without signature checks).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "server/aws/s3_client.hpp"
#include "tests/integration/credentials/fixtures.hpp"
#include "tests/support/moto_server.hpp"

namespace batchgate::aws::testing {
namespace {

namespace asio = boost::asio;

const std::string kBucket = "batchgate-credentials-it";
const std::string kRoleName = "batchgate-chain-role";
const std::string kRoleArn = "arn:aws:iam::123456789012:role/" + kRoleName;

class StsChainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new test::MotoServer();
    // assume_role() creates the (allow-all) role; its one-off credentials are not used here.
    if (moto_->ok())
      ready_ = moto_->create_bucket(kBucket) && !moto_->assume_role(kRoleName).access_key_id.empty();
  }
  static void TearDownTestSuite() { delete moto_; }
  void SetUp() override {
    ASSERT_TRUE(moto_->ok()) << moto_->error();
    ASSERT_TRUE(ready_) << "bucket or role set-up against moto failed";
  }

  config::AwsAuth user_keys(std::string secret = {}) const {
    config::AwsAuth auth;
    auth.access_key_id = moto_->access_key_id();
    auth.secret_access_key = secret.empty() ? moto_->secret_access_key() : secret;
    return auth;
  }
  CredentialsOptions options(std::map<std::string, std::string> vars = {}) {
    CredentialsOptions o = base_options(std::move(vars), home_, clock_);
    o.sts_endpoint = moto_->endpoint();
    return o;
  }
  S3Client s3(CredentialsProvider provider) {
    S3Config config;
    config.endpoint_url = moto_->endpoint();
    config.region = moto_->region();
    config.credentials = std::move(provider);
    config.retry.random = [] { return 0.0; };
    return S3Client(http_, std::move(config));
  }
  // Writes and reads back an object with `provider`: what a user checks to know the credentials work.
  void expect_s3_works(CredentialsProvider provider, const std::string& key) {
    S3Client client = s3(std::move(provider));
    auto put = run(io_, client.put_object(kBucket, key, "hello from the chain\n"));
    ASSERT_TRUE(put) << put.error().to_string();
    auto body = run(io_, client.get_object_string(kBucket, key));
    ASSERT_TRUE(body) << body.error().to_string();
    EXPECT_EQ(*body, "hello from the chain\n");
  }

  static test::MotoServer* moto_;
  static bool ready_;
  asio::io_context io_;
  HttpClient http_{io_.get_executor()};
  TempHome home_{"sts"};
  TestClock clock_;
};

test::MotoServer* StsChainTest::moto_ = nullptr;
bool StsChainTest::ready_ = false;

TEST_F(StsChainTest, AssumeRoleOnTopOfExplicitKeysGivesCredentialsS3Accepts) {
  config::AwsAuth auth = user_keys();
  auth.role_name = kRoleArn;
  auth.session_name = "chain-session";
  auth.external_id = "external-1";
  auto credentials = run(io_, make_credentials_resolver(auth, moto_->region(), http_, options())());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_TRUE(credentials->access_key_id.starts_with("ASIA")) << credentials->access_key_id;
  EXPECT_NE(credentials->access_key_id, moto_->access_key_id());
  ASSERT_TRUE(credentials->session_token);
  EXPECT_FALSE(credentials->session_token->empty());

  expect_s3_works(make_credentials_provider(auth, moto_->region(), http_, options()), "assumed/role.txt");

  // The checks are real: the role's credentials with a damaged secret or session token are refused.
  Credentials wrong_secret = *credentials;
  wrong_secret.secret_access_key += "x";
  S3Client with_wrong_secret = s3(static_credentials(wrong_secret));
  auto refused = run(io_, with_wrong_secret.put_object(kBucket, "assumed/refused.txt", "x"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "SignatureDoesNotMatch") << refused.error().to_string();
  Credentials wrong_token = *credentials;
  wrong_token.session_token = *wrong_token.session_token + "x";
  S3Client with_wrong_token = s3(static_credentials(wrong_token));
  refused = run(io_, with_wrong_token.put_object(kBucket, "assumed/refused.txt", "x"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "InvalidToken") << refused.error().to_string();
}

TEST_F(StsChainTest, AssumedRoleCredentialsAreCachedAndRenewedBeforeExpiry) {
  config::AwsAuth auth = user_keys();
  auth.role_name = kRoleArn;
  CredentialsResolver resolve = make_credentials_resolver(auth, moto_->region(), http_, options());
  auto first = run(io_, resolve());
  ASSERT_TRUE(first) << first.error().message;
  auto again = run(io_, resolve());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->access_key_id, first->access_key_id);  // cached, no second AssumeRole
  clock_.now += std::chrono::minutes(56);                 // moto's sessions last 3600 s
  auto renewed = run(io_, resolve());
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_NE(renewed->access_key_id, first->access_key_id);
}

TEST_F(StsChainTest, AWrongBaseSecretNamesTheRoleAndStsError) {
  config::AwsAuth auth = user_keys("not-the-secret");
  auth.role_name = kRoleArn;
  auto credentials = run(io_, make_credentials_resolver(auth, moto_->region(), http_, options())());
  ASSERT_FALSE(credentials);
  const std::string& message = credentials.error().message;
  EXPECT_NE(message.find("AssumeRole " + kRoleArn), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 403"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-the-secret"), std::string::npos) << message;
}

TEST_F(StsChainTest, ProfileWithRoleArnAndSourceProfile) {
  home_.write(".aws/credentials", "[base]\naws_access_key_id = " + moto_->access_key_id() +
                                      "\naws_secret_access_key = " + moto_->secret_access_key() + "\n");
  home_.write(".aws/config", "[profile app]\nrole_arn = " + kRoleArn +
                                 "\nsource_profile = base\nrole_session_name = app-session\n");
  // The STS endpoint from AWS_ENDPOINT_URL_STS, as botocore reads it.
  CredentialsOptions o =
      base_options({{"AWS_PROFILE", "app"}, {"AWS_ENDPOINT_URL_STS", moto_->endpoint()}}, home_, clock_);
  auto credentials = run(io_, make_credentials_resolver({}, moto_->region(), http_, o)());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_TRUE(credentials->access_key_id.starts_with("ASIA"));
  expect_s3_works(make_credentials_provider({}, moto_->region(), http_, o), "profile/role.txt");
}

// A moto_server in its default mode (no signature checks), for calls the checking one cannot take. Started
// on port 0; the port is read from werkzeug's " * Running on http://127.0.0.1:PORT" line, so parallel
// tests never race for a port.
class PlainMoto {
 public:
  PlainMoto() {
    static int counter = 0;
    std::string log =
        "/tmp/batchgate-plain-moto-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".log";
    process_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"moto_server", "-H", "127.0.0.1", "-p", "0"}, std::vector<std::string>{},
        log);
    port_ = announced_port(log);
    std::remove(log.c_str());
  }
  bool ready() const { return port_ != 0; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::uint16_t announced_port(const std::string& log) const {
    const std::string marker = "Running on http://127.0.0.1:";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && process_->running()) {
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (std::size_t at = text.find(marker); at != std::string::npos) {
        int port = std::atoi(text.c_str() + at + marker.size());
        if (port > 0) return static_cast<std::uint16_t>(port);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }

  std::unique_ptr<test::ChildProcess> process_;
  std::uint16_t port_ = 0;
};

TEST_F(StsChainTest, ProfileCredentialSourceImdsThenAssumeRole) {
  // credential_source = Ec2InstanceMetadata: the instance's credentials (IMDS stand-in) sign the
  // AssumeRole; the stand-in's keys are unknown to moto, hence the accept-all moto for STS.
  MetadataServer imds;
  PlainMoto sts;
  ASSERT_TRUE(imds.ready() && sts.ready());
  home_.write(".aws/config",
              "[default]\nrole_arn = arn:aws:iam::123456789012:role/from-instance\n"
              "credential_source = Ec2InstanceMetadata\n");
  CredentialsOptions o = base_options({}, home_, clock_);
  o.imds_endpoint = imds.url();
  o.sts_endpoint = sts.endpoint();
  auto credentials = run(io_, make_credentials_resolver({}, "us-east-1", http_, o)());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_TRUE(credentials->access_key_id.starts_with("ASIA"));
  EXPECT_FALSE(credentials->access_key_id.starts_with("ASIAIMDS")) << "the role's keys, not the instance's";
  EXPECT_EQ(imds.count("imds-creds"), 1);
}

TEST_F(StsChainTest, WebIdentityAgainstMoto) {
  // AssumeRoleWithWebIdentity is unsigned; the signature-checking moto refuses unsigned calls, so this
  // uses a second moto_server in its default (accept-all) mode.
  PlainMoto plain;
  ASSERT_TRUE(plain.ready());
  std::string token_file = home_.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QifQ.c2ln\n");
  CredentialsOptions o = base_options({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                       {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod-role"}},
                                      home_, clock_);
  o.sts_endpoint = plain.endpoint();
  auto credentials = run(io_, make_credentials_resolver({}, "us-east-1", http_, o)());
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_TRUE(credentials->access_key_id.starts_with("ASIA")) << credentials->access_key_id;
  ASSERT_TRUE(credentials->session_token);
  EXPECT_FALSE(credentials->session_token->empty());
}

}  // namespace
}  // namespace batchgate::aws::testing
