// Per-model request rules at upload (translators/model_rules.hpp): the output-token cap, exclusive sampling
// parameters and required fields, as per-line errors or — with drop_params — clamped / dropped.
#include "translators/model_rules.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/translators/parsed_json.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators {
namespace {

using nlohmann::json;

constexpr const char* kSonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
constexpr const char* kHaiku3 = "anthropic.claude-3-haiku-20240307-v1:0";

json chat(json extra) {
  json body{{"model", "m"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
  if (extra.is_object()) body.update(extra);
  return body;
}

RequestTranslation translate(const char* model_id, const json& body, bool drop_params = false,
                             std::optional<ModelRules> rules = std::nullopt) {
  const Translator* t = find_translator(model_id, Endpoint::kChatCompletions);
  EXPECT_NE(t, nullptr);
  RequestOptions options{1024, drop_params, rules.value_or(default_model_rules(model_id))};
  ParsedJson parsed(body);
  return t->to_bedrock(parsed.root(), options);
}

json input_of(const RequestTranslation& r) {
  EXPECT_FALSE(r.error) << r.error->message;
  return r.model_inputs.empty() ? json() : json::parse(r.model_inputs[0]);
}

TEST(ModelRules, DefaultsPerModelFamily) {
  EXPECT_EQ(default_model_rules(kHaiku3).max_output_tokens, 4096);
  EXPECT_TRUE(default_model_rules(kHaiku3).exclusive_params.empty());
  EXPECT_EQ(default_model_rules(kSonnet45).max_output_tokens, 64000);
  EXPECT_EQ(default_model_rules(kSonnet45).exclusive_params,
            (std::vector<std::string>{"temperature", "top_p"}));
  EXPECT_EQ(default_model_rules("anthropic.claude-3-5-haiku-20241022-v1:0").max_output_tokens, 8192);
  EXPECT_EQ(default_model_rules("amazon.nova-lite-v1:0").max_output_tokens, 10000);
  // Default row: a model the table does not know has no rules.
  EXPECT_EQ(default_model_rules("cohere.command-r-v1:0"), ModelRules{});
}

TEST(ModelRules, MaxTokensAboveTheCapIsALineErrorOrClamped) {
  auto refused = translate(kHaiku3, chat({{"max_tokens", 100000}}));
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->param, "body.max_tokens");
  EXPECT_EQ(refused.error->code, "invalid_value");
  EXPECT_NE(refused.error->message.find("4096"), std::string::npos) << refused.error->message;
  EXPECT_NE(refused.error->message.find("drop_params"), std::string::npos) << refused.error->message;
  auto named = translate(kHaiku3, chat({{"max_completion_tokens", 5000}}));
  ASSERT_TRUE(named.error);
  EXPECT_EQ(named.error->param, "body.max_completion_tokens");

  EXPECT_EQ(input_of(translate(kHaiku3, chat({{"max_tokens", 100000}}), true))["max_tokens"], 4096);
  EXPECT_EQ(input_of(translate(kHaiku3, chat({{"max_tokens", 4096}})))["max_tokens"], 4096);
  // A configured default above the cap is clamped without asking.
  ModelRules small{100, {}, {}};
  EXPECT_EQ(input_of(translate(kHaiku3, chat({}), false, small))["max_tokens"], 100);
  EXPECT_EQ(input_of(translate("amazon.nova-lite-v1:0", chat({{"max_tokens", 20000}}),
                               true))["inferenceConfig"]["maxTokens"],
            10000);
}

TEST(ModelRules, LlamaOutputCap) {
  constexpr const char* kLlama = "meta.llama3-1-70b-instruct-v1:0";
  auto refused = translate(kLlama, chat({{"max_tokens", 5000}}));
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->param, "body.max_tokens");
  EXPECT_NE(refused.error->message.find("2048"), std::string::npos) << refused.error->message;
  EXPECT_EQ(input_of(translate(kLlama, chat({{"max_tokens", 5000}}), true))["max_gen_len"], 2048);
  EXPECT_EQ(input_of(translate(kLlama, chat({{"max_tokens", 300}})))["max_gen_len"], 300);
}

TEST(ModelRules, ExclusiveSamplingParameters) {
  auto refused = translate(kSonnet45, chat({{"temperature", 0.5}, {"top_p", 0.9}}));
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->param, "body.top_p");
  EXPECT_EQ(refused.error->code, "unsupported_parameter");
  EXPECT_NE(refused.error->message.find("exclusive_params"), std::string::npos) << refused.error->message;
  json dropped = input_of(translate(kSonnet45, chat({{"temperature", 0.5}, {"top_p", 0.9}}), true));
  EXPECT_EQ(dropped["temperature"], 0.5);
  EXPECT_FALSE(dropped.contains("top_p"));
  EXPECT_EQ(input_of(translate(kSonnet45, chat({{"top_p", 0.9}})))["top_p"], 0.9);
  json both = input_of(translate(kHaiku3, chat({{"temperature", 0.5}, {"top_p", 0.9}})));
  EXPECT_TRUE(both.contains("temperature") && both.contains("top_p")) << "older models take both";
}

TEST(ModelRules, RequiredParameters) {
  ModelRules rules{std::nullopt, {}, {"max_tokens", "temperature"}};
  auto missing = translate(kHaiku3, chat({{"max_tokens", 10}}), false, rules);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->param, "body.temperature");
  EXPECT_EQ(missing.error->code, "missing_required_parameter");
  EXPECT_NE(missing.error->message.find("required_params"), std::string::npos);
  EXPECT_FALSE(
      translate(kHaiku3, chat({{"max_completion_tokens", 10}, {"temperature", 0}}), false, rules).error);
}

}  // namespace
}  // namespace batchgate::translators
