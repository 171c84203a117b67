// Which source the chain picks (spec/aws-sigv4-s3.md §4): precedence, environment variables, container and
// IMDS settings, and the message when nothing is found.
#include <gtest/gtest.h>

#include <map>

#include "server/aws/credentials_sources.hpp"

namespace batchgate::aws {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const char* kFiles =
    "[default]\naws_access_key_id = AKIAPROFILEDEFAULT\naws_secret_access_key = p\n"
    "[dev]\naws_access_key_id = AKIAPROFILEDEV\naws_secret_access_key = d\n";

DetectionInputs inputs(std::map<std::string, std::string> vars, ExplicitAuth auth = {},
                       std::string credentials_file = kFiles) {
  DetectionInputs in;
  in.explicit_auth = std::move(auth);
  in.env = env_of(std::move(vars));
  in.load_shared_files = [credentials_file] {
    return SharedFiles{parse_ini(credentials_file), {}, "/h/.aws/credentials", "/h/.aws/config"};
  };
  return in;
}

std::string access_key_of(const Detection& detection) {
  if (auto fixed = std::get_if<StaticSource>(&detection.plan))
    return fixed->credentials.credentials.access_key_id;
  if (auto profile = std::get_if<ProfilePlan>(&detection.plan)) {
    if (auto keys = std::get_if<StaticKeysStep>(&profile->base)) return keys->credentials.access_key_id;
  }
  return "(not static)";
}

const std::map<std::string, std::string> kEnvKeys = {{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                                     {"AWS_SECRET_ACCESS_KEY", "e"}};

TEST(CredentialsPrecedence, ExplicitConfigBeatsEnvironment) {
  auto detection = detect_credentials_source(inputs(kEnvKeys, ExplicitAuth{"AKIACONFIG", "c", "tok", ""}));
  ASSERT_TRUE(detection) << detection.error().message;
  EXPECT_EQ(access_key_of(*detection), "AKIACONFIG");
  EXPECT_EQ(std::get<StaticSource>(detection->plan).credentials.credentials.session_token, "tok");
  EXPECT_EQ(detection->source, "explicit configuration");
}

TEST(CredentialsPrecedence, EnvironmentBeatsProfiles) {
  auto vars = kEnvKeys;
  vars["AWS_PROFILE"] = "dev";
  auto detection = detect_credentials_source(inputs(vars));
  ASSERT_TRUE(detection) << detection.error().message;
  EXPECT_EQ(access_key_of(*detection), "AKIAENV");
}

TEST(CredentialsPrecedence, ConfiguredProfileNameBeatsEnvironment) {
  // Like a profile passed to a boto3 Session (LiteLLM aws_profile_name).
  auto detection = detect_credentials_source(inputs(kEnvKeys, ExplicitAuth{"", "", "", "dev"}));
  ASSERT_TRUE(detection) << detection.error().message;
  EXPECT_EQ(access_key_of(*detection), "AKIAPROFILEDEV");
  EXPECT_EQ(detection->source, "profile \"dev\" (static keys)");
}

TEST(CredentialsPrecedence, AwsProfileThenAwsDefaultProfileThenDefault) {
  auto by_profile = detect_credentials_source(inputs({{"AWS_PROFILE", "dev"}, {"AWS_DEFAULT_PROFILE", "x"}}));
  ASSERT_TRUE(by_profile);
  EXPECT_EQ(access_key_of(*by_profile), "AKIAPROFILEDEV");
  auto by_default_profile = detect_credentials_source(inputs({{"AWS_DEFAULT_PROFILE", "dev"}}));
  ASSERT_TRUE(by_default_profile);
  EXPECT_EQ(access_key_of(*by_default_profile), "AKIAPROFILEDEV");
  auto fallback = detect_credentials_source(inputs({}));
  ASSERT_TRUE(fallback);
  EXPECT_EQ(access_key_of(*fallback), "AKIAPROFILEDEFAULT");
}

TEST(CredentialsPrecedence, WebIdentityBeatsProfilesButNotEnvironmentKeys) {
  std::map<std::string, std::string> vars = {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"},
                                             {"AWS_ROLE_ARN", "arn:aws:iam::1:role/Pod"}};
  auto detection = detect_credentials_source(inputs(vars));
  ASSERT_TRUE(detection);
  ASSERT_TRUE(std::holds_alternative<WebIdentityStep>(detection->plan));
  EXPECT_EQ(std::get<WebIdentityStep>(detection->plan).role_session_name, "batchgate");
  vars.insert(kEnvKeys.begin(), kEnvKeys.end());
  auto with_keys = detect_credentials_source(inputs(vars));
  ASSERT_TRUE(with_keys);
  EXPECT_EQ(access_key_of(*with_keys), "AKIAENV");
}

TEST(CredentialsPrecedence, ContainerThenImdsWhenNothingElse) {
  auto container =
      detect_credentials_source(inputs({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"},
                                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"}},
                                       {}, ""));
  ASSERT_TRUE(container) << container.error().message;
  ASSERT_TRUE(std::holds_alternative<ContainerEndpoint>(container->plan));
  EXPECT_EQ(std::get<ContainerEndpoint>(container->plan).url, "http://169.254.170.2/v2/credentials/abc");
  EXPECT_EQ(std::get<ContainerEndpoint>(container->plan).token, "tok");
  auto imds = detect_credentials_source(inputs({}, {}, ""));
  ASSERT_TRUE(imds);
  ASSERT_TRUE(std::holds_alternative<ImdsEndpoint>(imds->plan));
  EXPECT_EQ(std::get<ImdsEndpoint>(imds->plan).endpoint, "http://169.254.169.254");
}

TEST(CredentialsEnvironment, SessionTokenLegacyAliasAndExpiration) {
  auto legacy = environment_credentials(
      env_of({{"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_SECURITY_TOKEN", "legacy"}}));
  ASSERT_TRUE(legacy && *legacy);
  EXPECT_EQ((*legacy)->credentials.session_token, "legacy");
  auto both = environment_credentials(env_of({{"AWS_ACCESS_KEY_ID", "A"},
                                              {"AWS_SECRET_ACCESS_KEY", "s"},
                                              {"AWS_SESSION_TOKEN", "new"},
                                              {"AWS_SECURITY_TOKEN", "legacy"},
                                              {"AWS_CREDENTIAL_EXPIRATION", "2024-01-15T13:00:00Z"}}));
  ASSERT_TRUE(both && *both);
  EXPECT_EQ((*both)->credentials.session_token, "new");
  EXPECT_TRUE((*both)->expiration);
}

TEST(CredentialsEnvironment, HalfAKeyPairIsAnErrorNamingTheVariable) {
  auto detection = detect_credentials_source(inputs({{"AWS_ACCESS_KEY_ID", "AKIA"}}));
  ASSERT_FALSE(detection);
  EXPECT_EQ(detection.error().message,
            "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  auto web = detect_credentials_source(inputs({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}}));
  ASSERT_FALSE(web);
  EXPECT_NE(web.error().message.find("AWS_WEB_IDENTITY_TOKEN_FILE is not"), std::string::npos);
}

TEST(AwsProfiles, ASelectedProfileThatDoesNotExistIsAnError) {
  auto by_env = detect_credentials_source(inputs({{"AWS_PROFILE", "prod"}}));
  ASSERT_FALSE(by_env);
  EXPECT_NE(by_env.error().message.find("AWS_PROFILE: profile \"prod\" not found"), std::string::npos);
  auto by_config = detect_credentials_source(inputs(kEnvKeys, ExplicitAuth{"", "", "", "prod"}));
  ASSERT_FALSE(by_config);
  EXPECT_NE(by_config.error().message.find("aws_profile_name"), std::string::npos);
}

TEST(ContainerEndpointSettings, FullUriMustBeLocalUnlessHttps) {
  auto env = [](std::string uri) { return env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri}}); };
  EXPECT_TRUE(container_endpoint(env("http://127.0.0.1:9999/creds"), kContainerHost));
  EXPECT_TRUE(container_endpoint(env("http://169.254.170.23/v1/credentials"), kContainerHost));
  EXPECT_TRUE(container_endpoint(env("http://[fd00:ec2::23]/v1/credentials"), kContainerHost));
  EXPECT_TRUE(container_endpoint(env("https://creds.example.com/x"), kContainerHost));
  auto refused = container_endpoint(env("http://evil.example.com/creds"), kContainerHost);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("evil.example.com"), std::string::npos);
  auto relative_wins =
      container_endpoint(env_of({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/rel"},
                                 {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/full"},
                                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/t"},
                                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "inline"}}),
                         kContainerHost);
  ASSERT_TRUE(relative_wins && *relative_wins);
  EXPECT_EQ((*relative_wins)->url, "http://169.254.170.2/rel");
  EXPECT_EQ((*relative_wins)->token_file, "/t");  // the file wins over the inline token
  EXPECT_FALSE((*relative_wins)->token);
}

TEST(ImdsEndpointSettings, EndpointSettings) {
  EXPECT_FALSE(imds_endpoint(env_of({{"AWS_EC2_METADATA_DISABLED", "true"}}), ""));
  EXPECT_FALSE(imds_endpoint(env_of({{"AWS_EC2_METADATA_DISABLED", "TRUE"}}), ""));
  EXPECT_EQ(
      imds_endpoint(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://10.0.0.1:8080/"}}), "")->endpoint,
      "http://10.0.0.1:8080");
  EXPECT_EQ(imds_endpoint(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}), "")->endpoint,
            "http://[fd00:ec2::254]");
  EXPECT_FALSE(imds_endpoint(env_of({{"AWS_EC2_METADATA_V1_DISABLED", "true"}}), "")->allow_v1);
  EXPECT_EQ(imds_endpoint(env_of({}), "http://127.0.0.1:1")->endpoint, "http://127.0.0.1:1");
}

TEST(SharedFilesPaths, DefaultsAndOverrides) {
  EXPECT_EQ(shared_credentials_path(env_of({}), "/home/u"), "/home/u/.aws/credentials");
  EXPECT_EQ(shared_config_path(env_of({}), "/home/u"), "/home/u/.aws/config");
  EXPECT_EQ(shared_credentials_path(env_of({{"AWS_SHARED_CREDENTIALS_FILE", "~/alt"}}), "/home/u"),
            "/home/u/alt");
  EXPECT_EQ(shared_config_path(env_of({{"AWS_CONFIG_FILE", "/etc/aws.cfg"}}), "/home/u"), "/etc/aws.cfg");
}

TEST(CredentialsNothingFound, TheMessageListsEverySourceTried) {
  auto detection = detect_credentials_source(inputs({{"AWS_EC2_METADATA_DISABLED", "true"}}, {}, ""));
  ASSERT_FALSE(detection);
  const std::string& message = detection.error().message;
  for (const char* part :
       {"no AWS credentials found", "explicit configuration", "AWS_ACCESS_KEY_ID not set",
        "AWS_WEB_IDENTITY_TOKEN_FILE not set", "profile \"default\" not found",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "disabled by AWS_EC2_METADATA_DISABLED"}) {
    EXPECT_NE(message.find(part), std::string::npos) << part << " missing from: " << message;
  }
}

}  // namespace
}  // namespace batchgate::aws
