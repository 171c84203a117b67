#include "options.hpp"

#include <gtest/gtest.h>

#include <map>

namespace batchgate::bedrock_emulator {
namespace {

Environment env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::variant<Options, std::string> parse(std::vector<std::string> args,
                                         std::map<std::string, std::string> env = {}) {
  return parse_options(args, env_of(std::move(env)));
}

TEST(EmulatorOptions, FlagsAndKnobs) {
  const auto parsed =
      parse({"--port", "0", "--access-key-id", "AK", "--secret-access-key", "SK", "--credential", "AK2:SK2",
             "--s3-endpoint=http://127.0.0.1:5000", "--throttle-rate", "0.25", "--force-quota-exceeded",
             "--min-records", "5", "--seed", "7", "--accept-session-credentials"});
  ASSERT_TRUE(std::holds_alternative<Options>(parsed)) << std::get<std::string>(parsed);
  const auto& o = std::get<Options>(parsed);
  EXPECT_EQ(o.port, 0);
  EXPECT_EQ(o.credentials.at("AK"), "SK");
  EXPECT_EQ(o.credentials.at("AK2"), "SK2");
  EXPECT_EQ(o.s3_endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(o.s3_region, "us-east-1");
  EXPECT_EQ(o.knobs["throttleRate"], 0.25);
  EXPECT_EQ(o.knobs["forceQuotaExceeded"], true);
  EXPECT_EQ(o.knobs["minRecords"], 5);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_TRUE(o.accept_session_credentials);
}

TEST(EmulatorOptions, EnvironmentFallbacks) {
  const auto parsed = parse({}, {{"AWS_ACCESS_KEY_ID", "AK"},
                                 {"AWS_SECRET_ACCESS_KEY", "SK"},
                                 {"S3_ENDPOINT_URL", "http://s3"},
                                 {"BEDROCK_EMULATOR_ACCESS_KEY_ID", "BAK"},
                                 {"BEDROCK_EMULATOR_SECRET_ACCESS_KEY", "BSK"}});
  ASSERT_TRUE(std::holds_alternative<Options>(parsed));
  const auto& o = std::get<Options>(parsed);
  EXPECT_EQ(o.credentials.size(), 1u);
  EXPECT_EQ(o.credentials.at("BAK"), "BSK");
  EXPECT_EQ(o.s3_access_key_id, "AK");
  EXPECT_EQ(o.s3_endpoint, "http://s3");
}

TEST(EmulatorOptions, ServeS3SendsJobIoToItselfWithAnAcceptedKey) {
  const std::map<std::string, std::string> env{{"AWS_ACCESS_KEY_ID", "AK"},
                                               {"AWS_SECRET_ACCESS_KEY", "SK"},
                                               {"S3_ENDPOINT_URL", "http://stale-moto"},
                                               {"BEDROCK_EMULATOR_ACCESS_KEY_ID", "BAK"},
                                               {"BEDROCK_EMULATOR_SECRET_ACCESS_KEY", "BSK"}};
  const auto own = parse({"--serve-s3"}, env);
  ASSERT_TRUE(std::holds_alternative<Options>(own)) << std::get<std::string>(own);
  EXPECT_TRUE(std::get<Options>(own).serve_s3);
  EXPECT_FALSE(std::get<Options>(own).s3_endpoint);  // set to the listening address at start
  EXPECT_EQ(std::get<Options>(own).s3_access_key_id, "BAK");
  EXPECT_EQ(std::get<Options>(own).s3_secret_access_key, "BSK");

  const auto elsewhere = parse({"--serve-s3", "--s3-endpoint", "http://moto"}, env);
  ASSERT_TRUE(std::holds_alternative<Options>(elsewhere));
  EXPECT_EQ(std::get<Options>(elsewhere).s3_endpoint, "http://moto");
  EXPECT_EQ(std::get<Options>(elsewhere).s3_access_key_id, "AK");
}

TEST(EmulatorOptions, Errors) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--port", "70000", "--no-auth"},
                                             {"--nope", "1", "--no-auth"},
                                             {"--port"},
                                             {"--account-id", "12", "--no-auth"},
                                             {"--default-timeout-hours", "200", "--no-auth"},
                                             {"--credential", "nocolon"},
                                             {"positional", "--no-auth"},
                                             {}}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse(args))) << (args.empty() ? "(no args)" : args[0]);
  }
  EXPECT_TRUE(std::holds_alternative<Options>(parse({"--no-auth"})));
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
