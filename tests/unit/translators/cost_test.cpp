#include "translators/cost.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "translators/translator.hpp"

namespace batchgate::translators {
namespace {

using nlohmann::json;

TEST(TranslatorsCostTest, MultipliesTokensByPerTokenPrices) {
  // Claude 3 Haiku batch prices: $0.125 / MTok input, $0.625 / MTok output.
  TokenPrices prices{0.125e-6, 0.625e-6, std::nullopt};
  EXPECT_DOUBLE_EQ(cost_usd({1'000'000, 1'000'000, 0}, prices), 0.75);
  EXPECT_DOUBLE_EQ(cost_usd({24, 15, 0}, prices), 24 * 0.125e-6 + 15 * 0.625e-6);
  EXPECT_DOUBLE_EQ(cost_usd({0, 0, 0}, prices), 0.0);
}

TEST(TranslatorsCostTest, FreeModelCostsNothing) {
  EXPECT_DOUBLE_EQ(cost_usd({5000, 7000, 0}, TokenPrices{}), 0.0);
}

TEST(TranslatorsCostTest, NegativeCountsCountAsZero) {
  EXPECT_DOUBLE_EQ(cost_usd({-100, 10, 0}, TokenPrices{1.0, 2.0, std::nullopt}), 20.0);
}

TEST(TranslatorsCostTest, LargeBatchesKeepPrecision) {
  // 50,000 requests × 2,000 tokens each.
  TokenUsage usage{100'000'000, 25'000'000, 0};
  EXPECT_NEAR(cost_usd(usage, TokenPrices{1.5e-6, 7.5e-6, std::nullopt}), 150.0 + 187.5, 1e-9);
}

TEST(TranslatorsCostTest, UsageAccumulates) {
  TokenUsage total;
  total += TokenUsage{10, 5, 4};
  total += TokenUsage{1, 2, 0};
  EXPECT_EQ(total, (TokenUsage{11, 7, 4}));
}

TEST(TranslatorsCostTest, CachedTokensUseTheCachedPrice) {
  TokenPrices prices{1.0, 10.0, 0.1};
  EXPECT_DOUBLE_EQ(cost_usd({100, 5, 60}, prices), 40 * 1.0 + 60 * 0.1 + 5 * 10.0);
  // Without a cached price, cached input costs as much as any input.
  EXPECT_DOUBLE_EQ(cost_usd({100, 5, 60}, TokenPrices{1.0, 10.0, std::nullopt}), 100 * 1.0 + 5 * 10.0);
  // More cached than input tokens (never sent by Bedrock) cannot make input cheaper than free.
  EXPECT_DOUBLE_EQ(cost_usd({10, 0, 50}, prices), 10 * 0.1);
}

TEST(TranslatorsCostTest, BatchUsageHasTheBatchObjectShape) {
  EXPECT_EQ(batch_usage_json({130, 50, 100}), json::parse(R"({"input_tokens":130,
      "input_tokens_details":{"cached_tokens":100},"output_tokens":50,
      "output_tokens_details":{"reasoning_tokens":0},"total_tokens":180})"));
}

// ResponseTranslation::usage is what gets billed: it must be the usage the body reports.
TokenUsage usage_in_body(const std::string& body) {
  const json usage = json::parse(body).at("usage");
  const json details = usage.value("prompt_tokens_details", json::object());
  return {usage.at("prompt_tokens").get<std::int64_t>(), usage.value("completion_tokens", std::int64_t{0}),
          details.value("cached_tokens", std::int64_t{0})};
}

ResponseTranslation translate(std::string_view model_id, Endpoint endpoint, const std::string& outputs) {
  simdjson::dom::parser parser;
  simdjson::dom::array items;
  EXPECT_EQ(parser.parse(outputs).get(items), simdjson::SUCCESS) << outputs;
  std::vector<JsonValue> list(items.begin(), items.end());
  return find_translator(model_id, endpoint)->to_openai(list, ResponseContext{"m", "chatcmpl-1", 1, {}});
}

ResponseTranslation translate_chat(std::string_view model_id, const std::string& outputs) {
  return translate(model_id, Endpoint::kChatCompletions, outputs);
}

TEST(TranslatorsCostTest, ResponseUsageIsTheChatCompletionUsage) {
  // Claude: cache reads and writes are prompt tokens; reads are also cached tokens.
  ResponseTranslation claude = translate_chat("anthropic.claude-3-haiku-20240307-v1:0", R"([{"content":[],
      "stop_reason":"end_turn","usage":{"input_tokens":20,"cache_read_input_tokens":4,
      "cache_creation_input_tokens":0,"output_tokens":15}}])");
  ASSERT_FALSE(claude.error);
  EXPECT_EQ(claude.usage, (TokenUsage{24, 15, 4}));
  EXPECT_EQ(claude.usage, usage_in_body(claude.body));

  ResponseTranslation nova = translate_chat("amazon.nova-lite-v1:0", R"([{"output":{"message":{"content":[
      {"text":"hi"}]}},"stopReason":"end_turn","usage":{"inputTokens":7,"cacheReadInputTokenCount":2,
      "cacheWriteInputTokenCount":1,"outputTokens":3}}])");
  ASSERT_FALSE(nova.error);
  EXPECT_EQ(nova.usage, (TokenUsage{10, 3, 2}));
  EXPECT_EQ(nova.usage, usage_in_body(nova.body));

  ResponseTranslation llama =
      translate_chat("meta.llama3-1-70b-instruct-v1:0",
                     R"([{"generation":"hi","prompt_token_count":9,"generation_token_count":2}])");
  ASSERT_FALSE(llama.error);
  EXPECT_EQ(llama.usage, (TokenUsage{9, 2, 0}));
  EXPECT_EQ(llama.usage, usage_in_body(llama.body));
}

TEST(TranslatorsCostTest, ResponseUsageIsTheEmbeddingListUsage) {
  ResponseTranslation titan = translate("amazon.titan-embed-text-v2:0", Endpoint::kEmbeddings,
                                        R"([{"embedding":[0.1],"inputTextTokenCount":5},
                                            {"embedding":[0.2],"inputTextTokenCount":3}])");
  ASSERT_FALSE(titan.error);
  EXPECT_EQ(titan.usage, (TokenUsage{8, 0, 0}));
  EXPECT_EQ(titan.usage, usage_in_body(titan.body));
}

TEST(TranslatorsCostTest, ResponseWithoutUsageIsZero) {
  const std::string claude = "anthropic.claude-3-haiku-20240307-v1:0";
  EXPECT_EQ(translate_chat(claude, R"([{"content":[]}])").usage, TokenUsage{});
  EXPECT_EQ(translate_chat(claude, R"([{"content":[],"usage":"x"}])").usage, TokenUsage{});
  EXPECT_EQ(translate_chat(claude, R"([{"content":[],"usage":{"input_tokens":-3}}])").usage, TokenUsage{});
  // An unreadable output bills nothing.
  ResponseTranslation unreadable = translate_chat(claude, R"(["text"])");
  EXPECT_TRUE(unreadable.error);
  EXPECT_EQ(unreadable.usage, TokenUsage{});
}

}  // namespace
}  // namespace batchgate::translators
