#include "translators/cost.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace batchgate::translators {
namespace {

using nlohmann::json;

TEST(TranslatorsCostTest, MultipliesTokensByPerTokenPrices) {
  // Claude 3 Haiku batch prices: $0.125 / MTok input, $0.625 / MTok output.
  TokenPrices prices{0.125e-6, 0.625e-6};
  EXPECT_DOUBLE_EQ(cost_usd({1'000'000, 1'000'000}, prices), 0.75);
  EXPECT_DOUBLE_EQ(cost_usd({24, 15}, prices), 24 * 0.125e-6 + 15 * 0.625e-6);
  EXPECT_DOUBLE_EQ(cost_usd({0, 0}, prices), 0.0);
}

TEST(TranslatorsCostTest, FreeModelCostsNothing) {
  EXPECT_DOUBLE_EQ(cost_usd({5000, 7000}, TokenPrices{}), 0.0);
}

TEST(TranslatorsCostTest, NegativeCountsCountAsZero) {
  EXPECT_DOUBLE_EQ(cost_usd({-100, 10}, TokenPrices{1.0, 2.0}), 20.0);
}

TEST(TranslatorsCostTest, LargeBatchesKeepPrecision) {
  // 50,000 requests × 2,000 tokens each.
  TokenUsage usage{100'000'000, 25'000'000};
  EXPECT_NEAR(cost_usd(usage, TokenPrices{1.5e-6, 7.5e-6}), 150.0 + 187.5, 1e-9);
}

TEST(TranslatorsCostTest, UsageAccumulates) {
  TokenUsage total;
  total += TokenUsage{10, 5};
  total += TokenUsage{1, 2};
  EXPECT_EQ(total, (TokenUsage{11, 7}));
}

TEST(TranslatorsCostTest, ReadsUsageFromChatCompletion) {
  json body = json::parse(R"({"object":"chat.completion","usage":{"prompt_tokens":24,"completion_tokens":15,
      "total_tokens":39,"prompt_tokens_details":{"cached_tokens":4}}})");
  EXPECT_EQ(usage_of_response(body), (TokenUsage{24, 15}));
}

TEST(TranslatorsCostTest, ReadsUsageFromEmbeddingList) {
  json body = json::parse(R"({"object":"list","data":[],"usage":{"prompt_tokens":8,"total_tokens":8}})");
  EXPECT_EQ(usage_of_response(body), (TokenUsage{8, 0}));
}

TEST(TranslatorsCostTest, BodyWithoutUsageIsZero) {
  EXPECT_EQ(usage_of_response(json::object()), TokenUsage{});
  EXPECT_EQ(usage_of_response(json::parse(R"({"usage":"x"})")), TokenUsage{});
  EXPECT_EQ(usage_of_response(json::parse(R"({"usage":{"prompt_tokens":-3}})")), TokenUsage{});
  EXPECT_EQ(usage_of_response(json("text")), TokenUsage{});
}

}  // namespace
}  // namespace batchgate::translators
