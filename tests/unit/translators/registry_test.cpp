#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "translators/translator.hpp"

namespace batchgate::translators {
namespace {

struct RegistryRow {
  std::string model_id;
  Endpoint endpoint;
  std::string family;  // empty: no translator
};

// Readable test labels in gtest and ctest output.
void PrintTo(const RegistryRow& row, std::ostream* out) {
  *out << '"' << row.model_id << '"';
}

class RegistryTest : public testing::TestWithParam<RegistryRow> {};

TEST_P(RegistryTest, PicksTheFamilyFromTheModelId) {
  const RegistryRow& row = GetParam();
  const Translator* translator = find_translator(row.model_id, row.endpoint);
  if (row.family.empty()) {
    EXPECT_EQ(translator, nullptr) << row.model_id;
    return;
  }
  ASSERT_NE(translator, nullptr) << row.model_id;
  EXPECT_EQ(translator->family(), row.family) << row.model_id;
  EXPECT_EQ(translator->endpoint(), row.endpoint);
}

constexpr Endpoint kChat = Endpoint::kChatCompletions;
constexpr Endpoint kEmbed = Endpoint::kEmbeddings;

INSTANTIATE_TEST_SUITE_P(
    Translators, RegistryTest,
    testing::Values(
        RegistryRow{"anthropic.claude-3-haiku-20240307-v1:0", kChat, "anthropic_messages"},
        RegistryRow{"us.anthropic.claude-3-5-haiku-20241022-v1:0", kChat, "anthropic_messages"},
        RegistryRow{"eu.anthropic.claude-3-7-sonnet-20250219-v1:0", kChat, "anthropic_messages"},
        RegistryRow{"apac.anthropic.claude-sonnet-4-20250514-v1:0", kChat, "anthropic_messages"},
        RegistryRow{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", kChat, "anthropic_messages"},
        RegistryRow{"us-gov.anthropic.claude-3-haiku-20240307-v1:0", kChat, "anthropic_messages"},
        RegistryRow{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-"
                    "20241022-v1:0",
                    kChat, "anthropic_messages"},
        RegistryRow{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
                    kChat, "anthropic_messages"},
        RegistryRow{"amazon.nova-lite-v1:0", kChat, "nova_messages"},
        RegistryRow{"us.amazon.nova-pro-v1:0", kChat, "nova_messages"},
        RegistryRow{"us.amazon.nova-premier-v1:0", kChat, "nova_messages"},
        RegistryRow{"arn:aws:bedrock:us-east-1:123456789012:foundation-model/amazon.nova-lite-v1:0", kChat,
                    "nova_messages"},
        RegistryRow{"meta.llama3-1-70b-instruct-v1:0", kChat, "llama_prompt"},
        RegistryRow{"us.meta.llama3-2-11b-instruct-v1:0", kChat, "llama_prompt"},
        RegistryRow{"us.meta.llama4-scout-17b-instruct-v1:0", kChat, "llama_prompt"},
        RegistryRow{"meta.llama2-13b-chat-v1", kChat, ""},
        RegistryRow{"amazon.titan-embed-text-v2:0", kEmbed, "titan_embeddings"},
        RegistryRow{"amazon.titan-embed-text-v1", kEmbed, "titan_embeddings"},
        // The endpoint has to fit the family.
        RegistryRow{"amazon.titan-embed-text-v2:0", kChat, ""},
        RegistryRow{"anthropic.claude-3-haiku-20240307-v1:0", kEmbed, ""},
        // Not chat models, or families without a translator.
        RegistryRow{"amazon.nova-canvas-v1:0", kChat, ""}, RegistryRow{"amazon.nova-reel-v1:0", kChat, ""},
        RegistryRow{"amazon.titan-embed-image-v1", kEmbed, ""},
        RegistryRow{"mistral.mistral-small-2402-v1:0", kChat, ""},
        RegistryRow{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
                    kChat, ""},
        RegistryRow{"", kChat, ""},
        // Default row: anything unknown has no translator.
        RegistryRow{"something-else", kChat, ""}));

TEST(TranslatorsEndpointTest, ParsesTheTwoSupportedUrls) {
  EXPECT_EQ(parse_endpoint("/v1/chat/completions"), Endpoint::kChatCompletions);
  EXPECT_EQ(parse_endpoint("/v1/embeddings"), Endpoint::kEmbeddings);
  EXPECT_EQ(parse_endpoint("/v1/completions"), std::nullopt);
  EXPECT_EQ(parse_endpoint("/v1/chat/completions/"), std::nullopt);
  EXPECT_EQ(endpoint_url(Endpoint::kChatCompletions), "/v1/chat/completions");
  EXPECT_EQ(endpoint_url(Endpoint::kEmbeddings), "/v1/embeddings");
}

TEST(TranslatorsResponseHintsTest, RoundTripThroughBits) {
  ResponseHints base64{.base64_embeddings = true};
  EXPECT_EQ(hints_from_bits(hints_to_bits(base64)), base64);
  EXPECT_EQ(hints_from_bits(hints_to_bits(ResponseHints{})), ResponseHints{});
  EXPECT_EQ(hints_to_bits(ResponseHints{}), 0);
}

}  // namespace
}  // namespace batchgate::translators
