// CollectorCore: Bedrock output lines in, OpenAI output/error lines out (spec/openai-batch.md §5.1,
// spec/bedrock-batch.md §8.2). One table of cases checks which file each request lands in and with what
// status, the counters and the token usage; the tests after it check the lines' exact shapes.
#include "server/batch/collector_core.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/unit/batch/collector_test_support.hpp"
#include "translators/translator.hpp"

namespace batchgate::batch {
namespace {

using nlohmann::json;
using test::bedrock_failure;
using test::claude_success;
using test::parse_jsonl;
using test::record_id;
using test::titan_success;
using translators::MissingReason;
using translators::TokenUsage;

const translators::Translator& claude() {
  return *translators::find_translator("anthropic.claude-3-5-haiku-20241022-v1:0",
                                       translators::Endpoint::kChatCompletions);
}
const translators::Translator& titan() {
  return *translators::find_translator("amazon.titan-embed-text-v2:0", translators::Endpoint::kEmbeddings);
}

struct Collected {
  std::vector<json> output;
  std::vector<json> errors;
  CollectorCounts counts;
  TokenUsage usage;
};

Collected run_core(std::vector<storage::RecordMapping> mappings, const translators::Translator& translator,
                   const std::vector<std::string>& lines, MissingReason reason, bool raw_output = false) {
  test::CountingIds ids;
  CollectorCore core(std::move(mappings), translator, ids, {"claude-batch", "batch_test", 1700000000, raw_output});
  std::string output, errors;
  for (const auto& line : lines) {
    core.add_line(line);
    output += core.take_output();
    errors += core.take_errors();
  }
  core.finish(reason);
  output += core.take_output();
  errors += core.take_errors();
  return {parse_jsonl(output), parse_jsonl(errors), core.counts(), core.usage()};
}

// "200" for an output line; the HTTP status of an error line that has a response; "missing:<code>" else.
std::string outcome(const json& line) {
  if (line["response"].is_null()) return "missing:" + line["error"]["code"].get<std::string>();
  return std::to_string(line["response"]["status_code"].get<int>());
}

struct Case {
  std::string name;
  bool embeddings = false;
  std::vector<storage::RecordMapping> mappings;
  std::vector<std::string> lines;
  MissingReason reason = MissingReason::kMissingOutput;
  bool raw_output = false;
  std::map<std::string, std::string> expected;  // custom_id → outcome()
  CollectorCounts counts;                        // total/completed/failed are derived from `expected`
  TokenUsage usage;
};

// gtest prints the case's name instead of its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

std::vector<storage::RecordMapping> embeddings_mappings() {
  std::vector<storage::RecordMapping> out;
  test::add_embedding_request(out, "emb-a", 1, 1, 3);
  test::add_embedding_request(out, "emb-b", 2, 4, 1);
  return out;
}

std::vector<Case> cases() {
  const auto r = [](int n) { return record_id(n); };
  std::vector<Case> table;
  table.push_back({"AllSucceed", false, test::chat_mappings(2),
                   {claude_success(r(2), "four", 20, 7), claude_success(r(1), "4", 10, 5)},
                   MissingReason::kMissingOutput, false, {{"req-1", "200"}, {"req-2", "200"}}, {}, {30, 12, 0}});
  table.push_back({"NumericBedrockError", false, test::chat_mappings(2),
                   {claude_success(r(1), "4", 10, 5), bedrock_failure(r(2), 400, "Malformed input request")},
                   MissingReason::kMissingOutput, false, {{"req-1", "200"}, {"req-2", "400"}}, {}, {10, 5, 0}});
  table.push_back({"StringBedrockErrors", false, test::chat_mappings(3),
                   {bedrock_failure(r(1), "ThrottlingException", "slow down"),
                    bedrock_failure(r(2), "503", "unavailable"), bedrock_failure(r(3), "Weird", "?")},
                   MissingReason::kMissingOutput, false,
                   {{"req-1", "429"}, {"req-2", "503"}, {"req-3", "500"}}, {}, {}});
  table.push_back({"UnknownRecordIgnored", false, test::chat_mappings(1),
                   {claude_success("R999", "x", 1, 1), claude_success(r(1), "4", 10, 5)},
                   MissingReason::kMissingOutput, false, {{"req-1", "200"}}, {.unknown_records = 1},
                   {10, 5, 0}});
  table.push_back({"DuplicateRecordIgnored", false, test::chat_mappings(1),
                   {claude_success(r(1), "first", 10, 5), claude_success(r(1), "second", 99, 99)},
                   MissingReason::kMissingOutput, false, {{"req-1", "200"}}, {.duplicate_records = 1},
                   {10, 5, 0}});
  table.push_back({"EmbeddingPartsOutOfOrder", true, embeddings_mappings(),
                   {titan_success(r(3), "c", {0.3}, 3), titan_success(r(4), "d", {0.4}, 4),
                    titan_success(r(1), "a", {0.1}, 1), titan_success(r(2), "b", {0.2}, 2)},
                   MissingReason::kMissingOutput, false, {{"emb-a", "200"}, {"emb-b", "200"}}, {},
                   {10, 0, 0}});
  // Tokens of parts that ran are billed by Bedrock even when their request fails.
  table.push_back({"EmbeddingPartMissing", true, embeddings_mappings(),
                   {titan_success(r(1), "a", {0.1}, 1), titan_success(r(3), "c", {0.3}, 3)},
                   MissingReason::kBatchExpired, false, {{"emb-a", "missing:batch_expired"},
                   {"emb-b", "missing:batch_expired"}}, {.missing_records = 2}, {4, 0, 0}});
  table.push_back({"EmbeddingPartFailed", true, embeddings_mappings(),
                   {titan_success(r(1), "a", {0.1}, 1), bedrock_failure(r(2), 400, "too long"),
                    titan_success(r(3), "c", {0.3}, 3), titan_success(r(4), "d", {0.4}, 4)},
                   MissingReason::kMissingOutput, false, {{"emb-a", "400"}, {"emb-b", "200"}}, {},
                   {8, 0, 0}});
  for (auto [reason, code] : {std::pair{MissingReason::kBatchExpired, "batch_expired"},
                              std::pair{MissingReason::kBatchCancelled, "batch_cancelled"},
                              std::pair{MissingReason::kMissingOutput, "missing_output"}}) {
    table.push_back({std::string("Missing_") + code, false, test::chat_mappings(3),
                     {claude_success(r(2), "4", 10, 5)}, reason, false,
                     {{"req-1", std::string("missing:") + code}, {"req-2", "200"},
                      {"req-3", std::string("missing:") + code}},
                     {.missing_records = 2}, {10, 5, 0}});
  }
  table.push_back({"NoOutputAtAll", false, test::chat_mappings(2), {}, MissingReason::kBatchCancelled, false,
                   {{"req-1", "missing:batch_cancelled"}, {"req-2", "missing:batch_cancelled"}},
                   {.missing_records = 2}, {}});
  table.push_back({"MalformedLinesIgnored", false, test::chat_mappings(1),
                   {"not json", "{}", "[1]", "{\"recordId\":7}", "   ", "", claude_success(r(1), "4", 10, 5)},
                   MissingReason::kMissingOutput, false, {{"req-1", "200"}}, {.malformed_lines = 4},
                   {10, 5, 0}});
  // simdjson stops at integers beyond 64 bits; the line is still read.
  table.push_back({"HugeIntegerInModelInput", false, test::chat_mappings(1),
                   {R"({"recordId":"R000000001","modelInput":{"seed":123456789012345678901234567890},)"
                    R"("modelOutput":{"content":[{"type":"text","text":"4"}],"stop_reason":"end_turn",)"
                    R"("usage":{"input_tokens":3,"output_tokens":1}}})"},
                   MissingReason::kMissingOutput, false, {{"req-1", "200"}}, {}, {3, 1, 0}});
  table.push_back({"UnreadableModelOutput", false, test::chat_mappings(2),
                   {R"({"recordId":"R000000001","modelInput":{},"modelOutput":{"nothing":1}})",
                    R"({"recordId":"R000000002","modelInput":{}})"},
                   MissingReason::kBatchExpired, false,
                   {{"req-1", "500"}, {"req-2", "missing:missing_output"}}, {}, {}});
  table.push_back({"RawOutput", false, test::chat_mappings(3),
                   {claude_success(r(1), "4", 10, 5), bedrock_failure(r(2), 400, "bad"),
                    R"({"recordId":"R000000003","modelInput":{},"modelOutput":{"nothing":1}})"},
                   MissingReason::kMissingOutput, true, {{"req-1", "200"}, {"req-2", "400"}, {"req-3", "200"}},
                   {}, {10, 5, 0}});
  return table;
}

class CollectorCases : public ::testing::TestWithParam<Case> {};

TEST_P(CollectorCases, EveryRequestOnceWithItsOutcome) {
  const Case& c = GetParam();
  Collected got = run_core(c.mappings, c.embeddings ? titan() : claude(), c.lines, c.reason, c.raw_output);

  std::map<std::string, std::string> seen;
  std::int64_t completed = 0;
  for (const json& line : got.output) {
    EXPECT_TRUE(seen.emplace(line["custom_id"], outcome(line)).second) << "twice: " << line.dump();
    EXPECT_EQ(outcome(line), "200") << line.dump();
    ++completed;
  }
  for (const json& line : got.errors) {
    EXPECT_TRUE(seen.emplace(line["custom_id"], outcome(line)).second) << "twice: " << line.dump();
    EXPECT_NE(outcome(line), "200") << line.dump();
  }
  EXPECT_EQ(seen, c.expected);

  CollectorCounts counts = c.counts;
  counts.total = std::int64_t(c.expected.size());
  counts.completed = completed;
  counts.failed = std::int64_t(got.errors.size());
  counts.records_read = std::int64_t(c.mappings.size()) - c.counts.missing_records;
  EXPECT_EQ(got.counts, counts);
  EXPECT_EQ(got.counts.completed + got.counts.failed, got.counts.total);
  EXPECT_EQ(got.usage, c.usage) << got.usage.input_tokens << "/" << got.usage.output_tokens;
}

INSTANTIATE_TEST_SUITE_P(Table, CollectorCases, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(CollectorCore, SuccessLineIsAnOpenAIBatchOutputLine) {
  Collected got = run_core(test::chat_mappings(1), claude(), {claude_success(record_id(1), "2 + 2 = 4", 24, 15)},
                           MissingReason::kMissingOutput);
  ASSERT_EQ(got.output.size(), 1u);
  const json& line = got.output[0];
  EXPECT_EQ(line["id"].get<std::string>().rfind("batch_req_", 0), 0u);
  EXPECT_EQ(line["custom_id"], "req-1");
  EXPECT_TRUE(line["error"].is_null());
  EXPECT_EQ(line["response"]["status_code"], 200);
  EXPECT_EQ(line["response"]["request_id"].get<std::string>().rfind("req_", 0), 0u);
  const json& body = line["response"]["body"];
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(body["model"], "claude-batch");
  EXPECT_EQ(body["created"], 1700000000);
  EXPECT_EQ(body["choices"][0]["message"]["content"], "2 + 2 = 4");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 24);
  EXPECT_EQ(body["usage"]["completion_tokens"], 15);
  EXPECT_TRUE(got.errors.empty());
}

TEST(CollectorCore, LineIdsAreDistinct) {
  Collected got = run_core(test::chat_mappings(3), claude(),
                           {claude_success(record_id(1), "a", 1, 1), bedrock_failure(record_id(2), 400, "x")},
                           MissingReason::kBatchExpired);
  std::set<std::string> ids;
  for (const auto* file : {&got.output, &got.errors})
    for (const json& line : *file) ids.insert(line["id"].get<std::string>());
  EXPECT_EQ(ids.size(), 3u);
}

TEST(CollectorCore, BedrockErrorBecomesAnErrorResponse) {
  Collected got = run_core(test::chat_mappings(2), claude(),
                           {bedrock_failure(record_id(1), 400, "messages: field required"),
                            bedrock_failure(record_id(2), "ThrottlingException", "Too many requests")},
                           MissingReason::kMissingOutput);
  ASSERT_EQ(got.errors.size(), 2u);
  EXPECT_TRUE(got.output.empty());
  std::map<std::string, json> by_id;
  for (const json& line : got.errors) by_id[line["custom_id"]] = line;
  const json& invalid = by_id["req-1"];
  EXPECT_TRUE(invalid["error"].is_null());
  EXPECT_EQ(invalid["response"]["status_code"], 400);
  EXPECT_EQ(invalid["response"]["body"]["error"]["message"], "messages: field required");
  EXPECT_EQ(invalid["response"]["body"]["error"]["type"], "invalid_request_error");
  EXPECT_EQ(by_id["req-2"]["response"]["status_code"], 429);
  EXPECT_EQ(by_id["req-2"]["response"]["body"]["error"]["code"], "ThrottlingException");
}

TEST(CollectorCore, MissingLineSaysWhy) {
  Collected got = run_core(test::chat_mappings(1), claude(), {}, MissingReason::kBatchExpired);
  ASSERT_EQ(got.errors.size(), 1u);
  const json& line = got.errors[0];
  EXPECT_TRUE(line["response"].is_null());
  EXPECT_EQ(line["error"]["code"], "batch_expired");
  EXPECT_FALSE(line["error"]["message"].get<std::string>().empty());
}

TEST(CollectorCore, DuplicateKeepsTheFirstRecord) {
  Collected got = run_core(test::chat_mappings(1), claude(),
                           {claude_success(record_id(1), "first", 1, 1), claude_success(record_id(1), "second", 1, 1)},
                           MissingReason::kMissingOutput);
  ASSERT_EQ(got.output.size(), 1u);
  EXPECT_EQ(got.output[0]["response"]["body"]["choices"][0]["message"]["content"], "first");
}

TEST(CollectorCore, EmbeddingPartsJoinInPartOrder) {
  Collected got = run_core(embeddings_mappings(), titan(),
                           {titan_success(record_id(2), "b", {0.2, 2.0}, 2), titan_success(record_id(3), "c", {0.3, 3.0}, 3),
                            titan_success(record_id(1), "a", {0.1, 1.0}, 1)},
                           MissingReason::kMissingOutput);
  ASSERT_EQ(got.output.size(), 1u);
  const json& body = got.output[0]["response"]["body"];
  EXPECT_EQ(got.output[0]["custom_id"], "emb-a");
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(body["data"][i]["index"], i);
    EXPECT_DOUBLE_EQ(body["data"][i]["embedding"][0].get<double>(), 0.1 * (i + 1));
  }
  EXPECT_EQ(body["usage"]["prompt_tokens"], 6);
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0]["custom_id"], "emb-b");
}

TEST(CollectorCore, OnlyIncompleteMultiPartRequestsWait) {
  test::CountingIds ids;
  CollectorCore core(embeddings_mappings(), titan(), ids, {"titan", "batch_test", 1, false});
  core.add_line(titan_success(record_id(4), "d", {0.4}, 4));
  EXPECT_NE(core.take_output(), "") << "a complete request is written at once";
  core.add_line(titan_success(record_id(1), "a", {0.1}, 1));
  core.add_line(titan_success(record_id(2), "b", {0.2}, 2));
  EXPECT_EQ(core.take_output(), "") << "emb-a still lacks a part";
  core.add_line(titan_success(record_id(3), "c", {0.3}, 3));
  EXPECT_NE(core.take_output(), "");
  core.finish(MissingReason::kMissingOutput);
  EXPECT_EQ(core.take_output(), "");
  EXPECT_EQ(core.take_errors(), "");
  EXPECT_EQ(core.counts().completed, 2);
}

// A part that arrives early waits while many other records pass through the reader: its text is kept and
// read again when the last part comes. The first part to arrive needs the slow path (a 30-digit integer).
TEST(CollectorCore, MultiPartRequestWithPartsFarApartIsOneLine) {
  constexpr int kOthers = 1000;
  std::vector<storage::RecordMapping> mappings;
  test::add_embedding_request(mappings, "emb-far", 1, 1, 3);
  for (int n = 0; n < kOthers; ++n) {
    test::add_embedding_request(mappings, "one-" + std::to_string(n), n + 2, 4 + n, 1);
  }
  std::vector<std::string> lines;
  lines.push_back(R"({"recordId":")" + record_id(3) +
                  R"(","modelInput":{"inputText":"c","seed":123456789012345678901234567890},)"
                  R"("modelOutput":{"embedding":[0.3,-3.0],"inputTextTokenCount":3}})");
  for (int n = 0; n < kOthers; ++n) {
    if (n == kOthers / 2) lines.push_back(titan_success(record_id(1), "a \"quoted\"\n", {0.1, -1.0}, 1));
    lines.push_back(titan_success(record_id(4 + n), "x", {double(n), 0.5}, 1));
  }
  lines.push_back(titan_success(record_id(2), "b", {0.2, -2.0}, 2));

  Collected got = run_core(mappings, titan(), lines, MissingReason::kMissingOutput);
  EXPECT_TRUE(got.errors.empty());
  ASSERT_EQ(got.output.size(), std::size_t(kOthers + 1));
  const json& last = got.output.back();
  EXPECT_EQ(last["custom_id"], "emb-far") << "written when its last part arrived";
  const json& body = last["response"]["body"];
  ASSERT_EQ(body["data"].size(), 3u);
  const json expected_embeddings = json::parse("[[0.1,-1.0],[0.2,-2.0],[0.3,-3.0]]");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(body["data"][i]["index"], i);
    EXPECT_EQ(body["data"][i]["embedding"], expected_embeddings[i]) << i;
  }
  EXPECT_EQ(body["usage"]["prompt_tokens"], 6);
  const json& middle = got.output[kOthers / 2];
  EXPECT_EQ(middle["custom_id"], "one-" + std::to_string(kOthers / 2));
  EXPECT_EQ(middle["response"]["body"]["data"][0]["embedding"], json::array({double(kOthers / 2), 0.5}));
  EXPECT_EQ(got.usage, (TokenUsage{6 + kOthers, 0, 0}));
  EXPECT_EQ(got.counts.completed, kOthers + 1);
}

TEST(CollectorCore, RawOutputCarriesBedrockLines) {
  const std::string raw = claude_success(record_id(1), "4", 10, 5);
  Collected got = run_core(test::chat_mappings(1), claude(), {raw}, MissingReason::kMissingOutput, true);
  ASSERT_EQ(got.output.size(), 1u);
  EXPECT_EQ(got.output[0]["custom_id"], "req-1");
  EXPECT_EQ(got.output[0]["response"]["status_code"], 200);
  EXPECT_EQ(got.output[0]["response"]["body"], json::parse(raw));
  EXPECT_EQ(got.usage, (TokenUsage{10, 5, 0}));

  std::vector<std::string> parts = {titan_success(record_id(1), "a", {0.1}, 1),
                                    titan_success(record_id(2), "b", {0.2}, 2),
                                    titan_success(record_id(3), "c", {0.3}, 3)};
  got = run_core(embeddings_mappings(), titan(), {parts[2], parts[0], parts[1]}, MissingReason::kMissingOutput, true);
  ASSERT_EQ(got.output.size(), 1u);
  EXPECT_EQ(got.output[0]["response"]["body"],
            json::array({json::parse(parts[0]), json::parse(parts[1]), json::parse(parts[2])}));
}

TEST(CollectorCore, Base64HintReachesTheTranslator) {
  std::vector<storage::RecordMapping> mappings = {{record_id(1), "emb", 1, 0, 1, 0}};
  mappings[0].hints = translators::hints_to_bits({true});
  Collected got = run_core(mappings, titan(), {titan_success(record_id(1), "a", {1.0}, 1)},
                           MissingReason::kMissingOutput);
  ASSERT_EQ(got.output.size(), 1u);
  EXPECT_TRUE(got.output[0]["response"]["body"]["data"][0]["embedding"].is_string());
}

}  // namespace
}  // namespace batchgate::batch
