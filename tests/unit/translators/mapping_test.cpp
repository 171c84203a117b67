// Table-driven tests of the finish_reason maps (STYLE.md rule 17) and base64.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "translators/anthropic_messages.hpp"
#include "translators/base64.hpp"
#include "translators/llama_prompt.hpp"
#include "translators/nova_messages.hpp"
#include "translators/titan_embeddings.hpp"

namespace batchgate::translators {
namespace {

struct FinishRow {
  std::string stop_reason;
  std::string finish_reason;
};

// Readable test labels in gtest and ctest output.
void PrintTo(const FinishRow& row, std::ostream* out) {
  *out << '"' << row.stop_reason << '"';
}

class AnthropicFinishTest : public testing::TestWithParam<FinishRow> {};
TEST_P(AnthropicFinishTest, Maps) {
  EXPECT_EQ(anthropic_finish_reason(GetParam().stop_reason), GetParam().finish_reason);
}
// spec/bedrock-batch.md §10.2.
INSTANTIATE_TEST_SUITE_P(Translators, AnthropicFinishTest,
                         testing::Values(FinishRow{"end_turn", "stop"}, FinishRow{"stop_sequence", "stop"},
                                         FinishRow{"pause_turn", "stop"}, FinishRow{"max_tokens", "length"},
                                         FinishRow{"model_context_window_exceeded", "length"},
                                         FinishRow{"tool_use", "tool_calls"},
                                         FinishRow{"refusal", "content_filter"}, FinishRow{"", "stop"},
                                         FinishRow{"something_new", "stop"}));

class NovaFinishTest : public testing::TestWithParam<FinishRow> {};
TEST_P(NovaFinishTest, Maps) {
  EXPECT_EQ(nova_finish_reason(GetParam().stop_reason), GetParam().finish_reason);
}
// spec/bedrock-batch.md §10.3 and §10.6.
INSTANTIATE_TEST_SUITE_P(
    Translators, NovaFinishTest,
    testing::Values(FinishRow{"end_turn", "stop"}, FinishRow{"stop_sequence", "stop"},
                    FinishRow{"max_tokens", "length"}, FinishRow{"model_context_window_exceeded", "length"},
                    FinishRow{"tool_use", "tool_calls"}, FinishRow{"content_filtered", "content_filter"},
                    FinishRow{"guardrail_intervened", "content_filter"},
                    FinishRow{"malformed_model_output", "stop"}, FinishRow{"malformed_tool_use", "stop"},
                    FinishRow{"", "stop"}, FinishRow{"something_new", "stop"}));

class LlamaFinishTest : public testing::TestWithParam<FinishRow> {};
TEST_P(LlamaFinishTest, Maps) {
  EXPECT_EQ(llama_finish_reason(GetParam().stop_reason), GetParam().finish_reason);
}
// spec/bedrock-batch.md §10.4.
INSTANTIATE_TEST_SUITE_P(Translators, LlamaFinishTest,
                         testing::Values(FinishRow{"stop", "stop"}, FinishRow{"length", "length"},
                                         FinishRow{"", "stop"}, FinishRow{"something_new", "stop"}));

std::string encode(std::string_view text) {
  return base64_encode({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
}

TEST(TranslatorsBase64Test, Rfc4648Vectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
  std::vector<unsigned char> high = {0xff, 0xfe, 0xfd};
  EXPECT_EQ(base64_encode(high), "//79");
}

TEST(TranslatorsBase64Test, EmbeddingIsFloat32LittleEndian) {
  // Python: base64.b64encode(struct.pack('<3f', 1.0, -2.0, 0.5))
  simdjson::dom::parser parser;
  EXPECT_EQ(encode_embedding_base64(parser.parse(std::string("[1.0, -2.0, 0.5]")).value()),
            "AACAPwAAAMAAAAA/");
  EXPECT_EQ(encode_embedding_base64(parser.parse(std::string("[]")).value()), "");
}

}  // namespace
}  // namespace batchgate::translators
