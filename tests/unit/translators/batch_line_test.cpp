#include "translators/batch_line.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace batchgate::translators {
namespace {

using nlohmann::json;

TEST(TranslatorsBatchLineTest, ParsesAChatLine) {
  simdjson::dom::parser parser;
  Expected<BatchLine> line = parse_batch_line(parser,
      R"({"custom_id":"request-1","method":"POST","url":"/v1/chat/completions",)"
      R"("body":{"model":"claude-batch","messages":[{"role":"user","content":"What is 2+2?"}]}})");
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(line->custom_id, "request-1");
  EXPECT_EQ(line->endpoint, Endpoint::kChatCompletions);
  EXPECT_EQ(line->model, "claude-batch");
  EXPECT_EQ(as_string(line->body["messages"].at(0)["content"].value_unsafe()), "What is 2+2?");
}

TEST(TranslatorsBatchLineTest, ParsesAnEmbeddingsLine) {
  simdjson::dom::parser parser;
  Expected<BatchLine> line = parse_batch_line(parser,
      R"({"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"model":"titan","input":"hi"}})");
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->endpoint, Endpoint::kEmbeddings);
}

struct BadLineRow {
  std::string text;
  std::string code;
  std::string param;
};

void PrintTo(const BadLineRow& row, std::ostream* out) {
  *out << '"' << row.code << '"';
}

class TranslatorsBadBatchLineTest : public testing::TestWithParam<BadLineRow> {};

TEST_P(TranslatorsBadBatchLineTest, NamesTheField) {
  simdjson::dom::parser parser;
  Expected<BatchLine> line = parse_batch_line(parser, GetParam().text);
  ASSERT_FALSE(line.has_value()) << GetParam().text;
  EXPECT_EQ(line.error().code, GetParam().code);
  EXPECT_EQ(line.error().param, GetParam().param);
  EXPECT_FALSE(line.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Translators, TranslatorsBadBatchLineTest,
    testing::Values(
        BadLineRow{"not json", "invalid_json_line", ""}, BadLineRow{"[1,2]", "invalid_json_line", ""},
        BadLineRow{R"({"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}})",
                   "missing_required_parameter", "body.model"},
        BadLineRow{R"({"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}})",
                   "invalid_custom_id", "custom_id"},
        BadLineRow{R"({"custom_id":7,"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}})",
                   "invalid_custom_id", "custom_id"},
        BadLineRow{R"({"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{"model":"m"}})",
                   "invalid_method", "method"},
        BadLineRow{R"({"custom_id":"a","method":"POST","url":"/v1/completions","body":{"model":"m"}})",
                   "invalid_url", "url"},
        BadLineRow{R"({"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":"x"})",
                   "invalid_body", "body"},
        BadLineRow{R"({"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}} x)",
                   "invalid_json_line", ""},
        BadLineRow{"{\"custom_id\":\"a\xff\"}", "invalid_json_line", ""}));

TEST(TranslatorsBatchLineTest, BedrockRecordLineHasNoModelId) {
  std::string line;
  append_bedrock_record_line(line, "r0000000001", R"({"inputText":"hi"})");
  EXPECT_EQ(line, R"({"recordId":"r0000000001","modelInput":{"inputText":"hi"}})");
  EXPECT_EQ(json::parse(line)["modelInput"], (json{{"inputText", "hi"}}));
}

// The parser is reused line after line; each line's views must come from that line alone.
TEST(TranslatorsBatchLineTest, ReusedParserGivesEachLineItsOwnValues) {
  simdjson::dom::parser parser;
  std::string first = R"({"custom_id":"first-id","method":"POST","url":"/v1/embeddings","body":{"model":"a","input":"x"}})";
  std::string second = R"({"custom_id":"2","method":"POST","url":"/v1/chat/completions","body":{"model":"bb","messages":[]}})";
  Expected<BatchLine> a = parse_batch_line(parser, first);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->custom_id, "first-id");
  EXPECT_EQ(a->model, "a");
  Expected<BatchLine> b = parse_batch_line(parser, second);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->custom_id, "2");
  EXPECT_EQ(b->model, "bb");
  EXPECT_EQ(b->endpoint, Endpoint::kChatCompletions);
}

}  // namespace
}  // namespace batchgate::translators
