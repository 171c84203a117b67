#include "translators/output_line.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace batchgate::translators {
namespace {

using nlohmann::json;

const LineIds kIds{"batch_req_abc", "req_123"};

struct ErrorStatusRow {
  json error_code;
  int status;
};

// Readable test labels in gtest and ctest output.
void PrintTo(const ErrorStatusRow& row, std::ostream* out) {
  *out << '"' << row.error_code.dump() << '"';
}

class BedrockErrorStatusTest : public testing::TestWithParam<ErrorStatusRow> {};

TEST_P(BedrockErrorStatusTest, MapsErrorCodeToHttpStatus) {
  simdjson::dom::parser parser;
  JsonValue error_code;
  ASSERT_EQ(parser.parse(GetParam().error_code.dump()).get(error_code), simdjson::SUCCESS);
  EXPECT_EQ(bedrock_error_status(error_code), GetParam().status) << GetParam().error_code.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Translators, BedrockErrorStatusTest,
    testing::Values(ErrorStatusRow{400, 400}, ErrorStatusRow{404, 404}, ErrorStatusRow{429, 429},
                    ErrorStatusRow{500, 500}, ErrorStatusRow{503, 503}, ErrorStatusRow{"400", 400},
                    ErrorStatusRow{"424", 424}, ErrorStatusRow{"ValidationException", 400},
                    ErrorStatusRow{"AccessDeniedException", 403},
                    ErrorStatusRow{"ResourceNotFoundException", 404},
                    ErrorStatusRow{"ModelTimeoutException", 408}, ErrorStatusRow{"ModelErrorException", 424},
                    ErrorStatusRow{"ThrottlingException", 429},
                    ErrorStatusRow{"ServiceUnavailableException", 503},
                    // Not an HTTP error status: treated as a server failure.
                    ErrorStatusRow{200, 500}, ErrorStatusRow{"302", 500}, ErrorStatusRow{600, 500},
                    ErrorStatusRow{-1, 500}, ErrorStatusRow{"", 500}, ErrorStatusRow{json(nullptr), 500},
                    ErrorStatusRow{4.5, 500},
                    // Default row: an unknown name.
                    ErrorStatusRow{"SomethingNewException", 500}));

TEST(TranslatorsOutputLineTest, SuccessLineHasTheBatchOutputShape) {
  json line = json::parse(success_line("request-1", kIds, R"({"object":"chat.completion"})"));
  EXPECT_EQ(line, json::parse(R"({"id":"batch_req_abc","custom_id":"request-1",
      "response":{"status_code":200,"request_id":"req_123","body":{"object":"chat.completion"}},"error":null})"));
}

TEST(TranslatorsOutputLineTest, ProxyRefusalIsA400WithTheParam) {
  json line = json::parse(line_error_line(
      "request-2", kIds, LineError{"invalid_value", "body.temperature is out of range", "body.temperature"}));
  EXPECT_EQ(line["response"]["status_code"], 400);
  EXPECT_EQ(line["response"]["body"]["error"],
            json::parse(R"({"message":"body.temperature is out of range","type":"invalid_request_error",
                "param":"body.temperature","code":"invalid_value"})"));
  EXPECT_TRUE(line["error"].is_null());
}

TEST(TranslatorsOutputLineTest, ServerErrorsHaveServerErrorType) {
  json line = json::parse(http_error_line("r", kIds, 503, "down", std::nullopt, std::nullopt));
  EXPECT_EQ(line["response"]["body"]["error"]["type"], "server_error");
  EXPECT_TRUE(line["response"]["body"]["error"]["param"].is_null());
  EXPECT_TRUE(line["response"]["body"]["error"]["code"].is_null());
}

TEST(TranslatorsOutputLineTest, MissingReasonsHaveOpenAiCodes) {
  EXPECT_EQ(missing_reason_code(MissingReason::kBatchExpired), "batch_expired");
  EXPECT_EQ(missing_reason_code(MissingReason::kBatchCancelled), "batch_cancelled");
  EXPECT_EQ(missing_reason_code(MissingReason::kMissingOutput), "missing_output");
  json line = json::parse(missing_line("request-3", "batch_req_x", MissingReason::kBatchExpired));
  EXPECT_TRUE(line["response"].is_null());
  EXPECT_EQ(line["error"]["code"], "batch_expired");
  EXPECT_EQ(line["id"], "batch_req_x");
  EXPECT_EQ(line["custom_id"], "request-3");
  EXPECT_FALSE(line["error"]["message"].get<std::string>().empty());
}

// A Claude record whose answer needs escaping, built with nlohmann (an independent writer and parser).
std::string claude_record(const std::string& text, const json& tool_input) {
  json content = json::array({{{"type", "text"}, {"text", text}}});
  if (!tool_input.is_null()) {
    content.push_back({{"type", "tool_use"}, {"id", "toolu_01"}, {"name", "lookup"}, {"input", tool_input}});
  }
  return json{
      {"recordId", "r1"},
      {"modelInput", {{"messages", json::array()}}},
      {"modelOutput", {{"content", content}, {"stop_reason", "end_turn"}, {"usage", {{"input_tokens", 3}}}}}}
      .dump();
}

TEST(TranslatorsOutputLineTest, TextWithQuotesNewlinesAndNonAsciiRoundTrips) {
  const std::string text =
      "He said \"4\".\nPath C:\\tmp\ttab\r\n\x01 control, /slash/, caf\u00e9 \u2603 \U0001F600 \u4e2d\u6587 "
      "\u2028end";
  const json tool_input = {{"query", text}, {"nested", {{"list", json::array({1, 2.5, nullptr, "\u00fc"})}}}};
  simdjson::dom::parser parser;
  JsonValue record;
  ASSERT_EQ(parser.parse(claude_record(text, tool_input)).get(record), simdjson::SUCCESS);
  const Translator& claude =
      *find_translator("anthropic.claude-3-haiku-20240307-v1:0", Endpoint::kChatCompletions);
  std::optional<JsonValue> records[] = {record};
  OutputLine line =
      build_output_line("custom \"id\" \u00e9", records, claude, ResponseContext{"m", "chatcmpl-1", 1, {}},
                        kIds, MissingReason::kMissingOutput);
  ASSERT_FALSE(line.is_error) << line.line;
  EXPECT_EQ(line.line.find('\n'), std::string::npos) << "a JSONL line holds no raw newline";
  json parsed = json::parse(line.line);
  EXPECT_EQ(parsed["custom_id"], "custom \"id\" \u00e9");
  const json& message = parsed["response"]["body"]["choices"][0]["message"];
  EXPECT_EQ(message["content"], text);
  EXPECT_EQ(json::parse(message["tool_calls"][0]["function"]["arguments"].get<std::string>()), tool_input);
  EXPECT_EQ(line.usage, (TokenUsage{3, 0, 0}));
}

}  // namespace
}  // namespace batchgate::translators
