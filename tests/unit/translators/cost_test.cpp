#include "translators/cost.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

TEST(TranslatorsCostTest, ReadsUsageFromChatCompletion) {
  json body = json::parse(R"({"object":"chat.completion","usage":{"prompt_tokens":24,"completion_tokens":15,
      "total_tokens":39,"prompt_tokens_details":{"cached_tokens":4}}})");
  EXPECT_EQ(usage_of_response(body), (TokenUsage{24, 15, 4}));
}

TEST(TranslatorsCostTest, ReadsUsageFromEmbeddingList) {
  json body = json::parse(R"({"object":"list","data":[],"usage":{"prompt_tokens":8,"total_tokens":8}})");
  EXPECT_EQ(usage_of_response(body), (TokenUsage{8, 0, 0}));
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

TEST(TranslatorsCostTest, BodyWithoutUsageIsZero) {
  EXPECT_EQ(usage_of_response(json::object()), TokenUsage{});
  EXPECT_EQ(usage_of_response(json::parse(R"({"usage":"x"})")), TokenUsage{});
  EXPECT_EQ(usage_of_response(json::parse(R"({"usage":{"prompt_tokens":-3}})")), TokenUsage{});
  EXPECT_EQ(usage_of_response(json("text")), TokenUsage{});
}

}  // namespace
}  // namespace batchgate::translators
