#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace batchgate::config {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const char* kGood = R"(
model_list:
  - model_name: claude-batch
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: my-bucket/batch/in
      s3_encryption_key_id: arn:aws:kms:us-east-1:123456789012:key/abc
      aws_batch_role_arn: arn:aws:iam::123456789012:role/BedrockBatchRole
      aws_access_key_id: os.environ/MY_AKID
      aws_secret_access_key: os.environ/MY_SECRET
      s3_endpoint_url: http://127.0.0.1:5000
      max_tokens: 1024
    model_info:
      mode: batch
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000005
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
general_settings:
  master_key: sk-master-1234
  database_path: /tmp/x.db
litellm_settings:
  drop_params: true
  success_callback: ["langfuse"]
batchgate_settings:
  port: 8080
  poll_interval_min: 2s
  expired_file_sweep: 90s
)";

TEST(ConfigLoader, LoadsALiteLLMConfigAndResolvesEnvironment) {
  auto result = load_from_string(kGood, env_of({{"MY_AKID", "AKID"}, {"MY_SECRET", "SECRET"}}));
  ASSERT_TRUE(result.errors.empty()) << result.errors.front().to_string();
  ASSERT_TRUE(result.settings);
  const Settings& s = *result.settings;
  ASSERT_EQ(s.models.size(), 1u);  // the openai/ entry is ignored with a warning
  const Model& m = s.models[0];
  EXPECT_EQ(m.model_name, "claude-batch");
  EXPECT_EQ(m.bedrock_model_id, "us.anthropic.claude-3-5-haiku-20241022-v1:0");
  EXPECT_TRUE(m.is_batch());
  EXPECT_EQ(m.s3_bucket, "my-bucket");
  EXPECT_EQ(m.s3_prefix, "batch/in");
  EXPECT_EQ(m.s3_output_bucket, "my-bucket");
  EXPECT_EQ(m.s3_region_name, "us-east-1");
  EXPECT_EQ(m.auth.access_key_id, "AKID");
  EXPECT_EQ(m.auth.secret_access_key, "SECRET");
  EXPECT_EQ(m.max_tokens, 1024);
  EXPECT_TRUE(m.drop_params);
  EXPECT_DOUBLE_EQ(m.pricing.input_cost_per_token_batches, 0.0000005);  // half of on-demand by default
  EXPECT_DOUBLE_EQ(m.pricing.output_cost_per_token_batches, 0.0000025);
  EXPECT_EQ(s.general.master_key, "sk-master-1234");
  EXPECT_EQ(s.general.database_path, "/tmp/x.db");
  EXPECT_EQ(s.server.port, 8080);
  EXPECT_EQ(s.server.poll_interval_min.count(), 2);
  EXPECT_EQ(s.server.expired_file_sweep.count(), 90);

  std::vector<std::string> warned;
  for (const auto& w : result.warnings) warned.push_back(w.path);
  EXPECT_NE(std::find(warned.begin(), warned.end(), "model_list[1].litellm_params.model"), warned.end());
  EXPECT_NE(std::find(warned.begin(), warned.end(), "litellm_settings.success_callback"), warned.end());
}

TEST(ConfigLoader, ReportsEveryErrorWithItsPath) {
  const char* bad = R"(
model_list:
  - model_name: a
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
    model_info: {mode: batch}
  - model_name: b
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: ok-bucket
      aws_batch_role_arn: not-an-arn
    model_info: {mode: batch}
  - model_name: c
    litellm_params:
      model: bedrock/meta.llama3-1-70b-instruct-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: ok-bucket
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
      aws_secret_access_key: os.environ/MISSING_SECRET
      aws_access_key_id: AKID
    model_info: {mode: batch}
general_settings:
  master_key: sk-master-1234
)";
  auto result = load_from_string(bad, env_of({}));
  EXPECT_FALSE(result.settings);
  std::vector<std::string> lines;
  for (const auto& e : result.errors) lines.push_back(e.to_string());
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "model_list[0].litellm_params.s3_bucket_name: required for mode: batch");
  EXPECT_NE(
      lines[1].find("model_list[1].litellm_params.aws_batch_role_arn: 'not-an-arn' is not an IAM role ARN"),
      std::string::npos);
  EXPECT_EQ(
      lines[2],
      "model_list[2].litellm_params.aws_secret_access_key: environment variable MISSING_SECRET is not set "
      "(referenced as os.environ/MISSING_SECRET)");
}

TEST(ConfigLoader, AppliesLiteLLMEnvironmentFallbacks) {
  const char* yaml = R"(
model_list:
  - model_name: a
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: bucket-a
    model_info: {mode: batch}
general_settings: {master_key: sk-12345678}
)";
  auto result = load_from_string(yaml, env_of({{"AWS_REGION", "eu-west-1"},
                                               {"AWS_BATCH_ROLE_ARN", "arn:aws:iam::123456789012:role/R"},
                                               {"AWS_S3_ENCRYPTION_KEY_ID", "alias/batch"}}));
  ASSERT_TRUE(result.settings) << result.errors.front().to_string();
  const Model& m = result.settings->models.at(0);
  EXPECT_EQ(m.aws_region_name, "eu-west-1");
  EXPECT_EQ(m.aws_batch_role_arn, "arn:aws:iam::123456789012:role/R");
  EXPECT_EQ(m.s3_encryption_key_id, "alias/batch");
}

TEST(ConfigLoader, RejectsBadValuesAndMissingMasterKey) {
  const char* yaml = R"(
model_list:
  - model_name: a
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: Bad_Bucket
      aws_region_name: us-east-1
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
      max_tokens: lots
    model_info: {mode: batch}
batchgate_settings:
  port: 70000
  read_timeout: soon
  expired_file_sweep: 0s
)";
  auto result = load_from_string(yaml, env_of({}));
  std::vector<std::string> paths;
  for (const auto& e : result.errors) paths.push_back(e.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{
                "model_list[0].litellm_params.s3_bucket_name", "model_list[0].litellm_params.max_tokens",
                "general_settings.master_key", "batchgate_settings.port", "batchgate_settings.read_timeout",
                "batchgate_settings.expired_file_sweep"}));
}

TEST(ConfigLoader, InvalidYamlIsOneClearError) {
  auto result = load_from_string("model_list: [\n", env_of({}));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].message.find("not valid YAML"), std::string::npos);
}

// LiteLLM's "Bedrock Batches" walkthrough entry, as its docs give it: S3 keys only as s3_*, no
// aws_region_name, a short sk- master key, and the blocks a LiteLLM config carries around it.
const char* kWalkthrough = R"(
model_list:
  - model_name: "bedrock-batch-claude"
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      s3_bucket_name: litellm-proxy
      s3_region_name: us-west-2
      s3_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      s3_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_batch_role_arn: arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV
    model_info:
      mode: batch
general_settings:
  master_key: sk-1234
litellm_settings:
  drop_params: true
  set_verbose: false
router_settings:
  routing_strategy: simple-shuffle
environment_variables:
  AWS_ACCESS_KEY_ID: AKIAWALKTHROUGH
  AWS_SECRET_ACCESS_KEY: walkthrough-secret
)";

TEST(ConfigLoader, LoadsLiteLLMsBedrockBatchesWalkthroughUnchanged) {
  // Nothing in the process environment: environment_variables alone resolves the os.environ/ references.
  auto result = load_from_string(kWalkthrough, env_of({}));
  ASSERT_TRUE(result.errors.empty()) << result.errors.front().to_string();
  const Settings& s = *result.settings;
  ASSERT_EQ(s.models.size(), 1u);
  const Model& m = s.models[0];
  EXPECT_EQ(m.model_name, "bedrock-batch-claude");
  EXPECT_EQ(m.s3_keys.access_key_id, "AKIAWALKTHROUGH");
  EXPECT_EQ(m.s3_keys.secret_access_key, "walkthrough-secret");
  EXPECT_TRUE(m.auth.access_key_id.empty());
  EXPECT_EQ(m.aws_region_name, "us-west-2") << "the bucket's region when aws_region_name is not given";
  EXPECT_EQ(m.s3_region_name, "us-west-2");
  EXPECT_TRUE(m.drop_params) << "litellm_settings.drop_params is honoured";
  EXPECT_EQ(s.general.master_key, "sk-1234");
  EXPECT_EQ(s.environment_variables,
            (std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", "AKIAWALKTHROUGH"},
                                                {"AWS_SECRET_ACCESS_KEY", "walkthrough-secret"}}));

  std::map<std::string, std::string> warned;
  for (const auto& w : result.warnings) warned[w.path] = w.message;
  EXPECT_EQ(warned.count("router_settings"), 1u);
  EXPECT_EQ(warned["router_settings"], "not used by batchgate; ignored");
  EXPECT_EQ(warned.count("litellm_settings.set_verbose"), 1u);
  EXPECT_EQ(warned.count("litellm_settings.drop_params"), 0u);
  EXPECT_EQ(warned.count("environment_variables"), 0u);
  ASSERT_EQ(warned.count("general_settings.master_key"), 1u) << "a short master key starts, with a warning";
  EXPECT_NE(warned["general_settings.master_key"].find("7 characters"), std::string::npos);
  EXPECT_EQ(warned.count("model_list[0].litellm_params.s3_access_key_id"), 0u) << "s3_* keys are known keys";
}

TEST(ConfigLoader, EnvironmentVariablesWinOverTheEnvironmentAndFeedItsFallbacks) {
  const char* yaml = R"(
model_list:
  - model_name: a
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      s3_bucket_name: os.environ/BUCKET
    model_info: {mode: batch}
general_settings: {master_key: sk-12345678}
environment_variables:
  BUCKET: from-config
  AWS_REGION: eu-west-1
  AWS_BATCH_ROLE_ARN: arn:aws:iam::123456789012:role/R
)";
  auto result = load_from_string(yaml, env_of({{"BUCKET", "from-env"}, {"AWS_REGION", "us-east-1"}}));
  ASSERT_TRUE(result.errors.empty()) << result.errors.front().to_string();
  const Model& m = result.settings->models[0];
  EXPECT_EQ(m.s3_bucket, "from-config");
  EXPECT_EQ(m.aws_region_name, "eu-west-1");
  EXPECT_EQ(m.aws_batch_role_arn, "arn:aws:iam::123456789012:role/R");

  auto bad = load_from_string(std::string(yaml) + "  LIST: [1, 2]\n", env_of({}));
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].path, "environment_variables.LIST");
}

TEST(ConfigLoader, S3KeysComeInPairs) {
  const std::string base = R"(
general_settings: {master_key: sk-12345678}
model_list:
  - model_name: a
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
)";
  auto lone_id = load_from_string(base + "      s3_access_key_id: AKIA\n", env_of({}));
  ASSERT_EQ(lone_id.errors.size(), 1u);
  EXPECT_EQ(lone_id.errors[0].path, "model_list[0].litellm_params.s3_secret_access_key");
  auto lone_token = load_from_string(base + "      s3_session_token: token\n", env_of({}));
  ASSERT_EQ(lone_token.errors.size(), 1u);
  EXPECT_EQ(lone_token.errors[0].path, "model_list[0].litellm_params.s3_session_token");
}

TEST(ConfigLoader, EmptyMasterKeyIsStillAnError) {
  auto result = load_from_string("model_list: []\ngeneral_settings: {master_key: ''}\n", env_of({}));
  std::vector<std::string> paths;
  for (const auto& e : result.errors) paths.push_back(e.path);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "general_settings.master_key"), paths.end());
}

TEST(ConfigLoader, SpoolDirIsABatchgateSetting) {
  const std::string yaml = std::string(kWalkthrough) + "batchgate_settings: {spool_dir: /var/tmp/bg}\n";
  auto result = load_from_string(yaml, env_of({}));
  ASSERT_TRUE(result.settings);
  EXPECT_EQ(result.settings->server.spool_dir, "/var/tmp/bg");
  EXPECT_EQ(load_from_string(kWalkthrough, env_of({})).settings->server.spool_dir, "")
      << "empty: the system's";
}

// max_concurrent_jobs sits in model_info (or litellm_params) like the other per-model limits; unset means
// no limit of batchgate's own, and a value outside 1..100000 is an error at its path.
TEST(ConfigLoader, MaxConcurrentJobsIsAPerModelLimit) {
  EXPECT_FALSE(load_from_string(kGood, env_of({{"MY_AKID", "A"}, {"MY_SECRET", "S"}}))
                   .settings->models[0]
                   .max_concurrent_jobs);
  std::string yaml = kGood;
  const std::string mode = "      mode: batch\n";
  yaml.insert(yaml.find(mode) + mode.size(), "      max_concurrent_jobs: 3\n");
  auto result = load_from_string(yaml, env_of({{"MY_AKID", "A"}, {"MY_SECRET", "S"}}));
  ASSERT_TRUE(result.settings);
  EXPECT_EQ(result.settings->models[0].max_concurrent_jobs, 3);
  yaml.replace(yaml.find("max_concurrent_jobs: 3"), 22, "max_concurrent_jobs: 0");
  auto bad = load_from_string(yaml, env_of({{"MY_AKID", "A"}, {"MY_SECRET", "S"}}));
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].to_string().find("model_list[0].model_info.max_concurrent_jobs"), std::string::npos)
      << bad.errors[0].to_string();
}

// Bedrock signs with the aws_* credentials when given, then the s3_* keys, then the default chain; S3 with
// the s3_* keys when given, else what Bedrock uses.
// Per-model request rules (README "Per-model request rules"): unset by default (the translators' defaults for
// the model id apply), read from litellm_params or model_info, and checked.
TEST(ConfigLoader, ModelRequestRules) {
  auto plain = load_from_string(kGood, env_of({{"MY_AKID", "AKID"}, {"MY_SECRET", "SECRET"}}));
  ASSERT_TRUE(plain.settings);
  EXPECT_FALSE(plain.settings->models[0].max_output_tokens);
  EXPECT_FALSE(plain.settings->models[0].exclusive_params);
  EXPECT_FALSE(plain.settings->models[0].required_params);

  std::string text = kGood;
  text.replace(text.find("      max_tokens: 1024\n"), 0,
               "      max_output_tokens: 2048\n      exclusive_params: [temperature, top_p]\n");
  text.replace(text.find("      mode: batch\n"), 0, "      required_params: [max_tokens]\n");
  auto ruled = load_from_string(text, env_of({{"MY_AKID", "AKID"}, {"MY_SECRET", "SECRET"}}));
  ASSERT_TRUE(ruled.errors.empty()) << ruled.errors.front().to_string();
  const Model& m = ruled.settings->models[0];
  EXPECT_EQ(m.max_output_tokens, 2048);
  EXPECT_EQ(m.exclusive_params, (std::vector<std::string>{"temperature", "top_p"}));
  EXPECT_EQ(m.required_params, (std::vector<std::string>{"max_tokens"}));

  std::string bad = kGood;
  bad.replace(bad.find("      max_tokens: 1024\n"), 0, "      exclusive_params: [temperature, top_k]\n");
  auto refused = load_from_string(bad, env_of({{"MY_AKID", "AKID"}, {"MY_SECRET", "SECRET"}}));
  ASSERT_FALSE(refused.errors.empty());
  EXPECT_EQ(refused.errors.front().path, "model_list[0].litellm_params.exclusive_params[1]");
}

TEST(ConfigCredentials, BedrockThenS3Order) {
  struct Row {
    AwsAuth aws;
    AwsAuth s3;
    std::string bedrock_key;  // access key id Bedrock signs with ("" → the default chain)
    std::string s3_key;
    std::string bedrock_profile;
  };
  const AwsAuth none;
  const AwsAuth aws_keys{"AWSKEY", "aws-secret", "", "", "", "", ""};
  const AwsAuth aws_profile{"", "", "", "batch", "", "", ""};
  const AwsAuth aws_role_only{"", "", "", "", "arn:aws:iam::123456789012:role/Gateway", "", ""};
  const AwsAuth s3_keys{"S3KEY", "s3-secret", "s3-token", "", "", "", ""};
  const Row rows[] = {
      {none, none, "", "", ""},                        // default chain for both
      {aws_keys, none, "AWSKEY", "AWSKEY", ""},        // aws_* for both
      {none, s3_keys, "S3KEY", "S3KEY", ""},           // LiteLLM's walkthrough: s3_* for both
      {aws_keys, s3_keys, "AWSKEY", "S3KEY", ""},      // each its own
      {aws_profile, s3_keys, "", "S3KEY", "batch"},    // a profile is an aws_* credential
      {aws_role_only, s3_keys, "S3KEY", "S3KEY", ""},  // the role is assumed with the s3_* keys
  };
  for (const auto& row : rows) {
    Model m;
    m.auth = row.aws;
    m.s3_keys = row.s3;
    const AwsAuth bedrock = m.bedrock_credentials();
    EXPECT_EQ(bedrock.access_key_id, row.bedrock_key);
    EXPECT_EQ(bedrock.profile_name, row.bedrock_profile);
    EXPECT_EQ(bedrock.role_name, row.aws.role_name) << "aws_role_name is assumed on top of whichever";
    EXPECT_EQ(m.s3_credentials().access_key_id, row.s3_key);
    if (row.s3_key == "S3KEY") {
      EXPECT_EQ(m.s3_credentials().session_token, "s3-token");
      EXPECT_TRUE(m.s3_credentials().role_name.empty()) << "the s3_* keys are used as they are";
    }
  }
}

}  // namespace
}  // namespace batchgate::config
