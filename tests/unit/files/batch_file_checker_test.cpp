#include "server/files/batch_file_checker.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/loader.hpp"

namespace batchgate::files {
namespace {

using nlohmann::json;

config::Settings settings() {
  const char* yaml = R"(
model_list:
  - model_name: claude-batch
    litellm_params: {model: bedrock/anthropic.claude-3-haiku-20240307-v1:0, aws_region_name: us-east-1,
                     s3_bucket_name: b-1, aws_batch_role_arn: "arn:aws:iam::123456789012:role/R", max_tokens: 321}
    model_info: {mode: batch}
  - model_name: nova-batch
    litellm_params: {model: bedrock/amazon.nova-lite-v1:0, aws_region_name: us-east-1, s3_bucket_name: b-1,
                     aws_batch_role_arn: "arn:aws:iam::123456789012:role/R"}
    model_info: {mode: batch}
  - model_name: titan
    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, aws_region_name: us-east-1, s3_bucket_name: b-1,
                     aws_batch_role_arn: "arn:aws:iam::123456789012:role/R"}
    model_info: {mode: batch}
general_settings: {master_key: sk-12345678}
)";
  auto r = config::load_from_string(yaml, [](std::string_view) { return std::nullopt; });
  EXPECT_TRUE(r.settings) << (r.errors.empty() ? "" : r.errors[0].to_string());
  return *r.settings;
}

std::string chat_line(const std::string& id, const std::string& model = "claude-batch",
                      const std::string& url = "/v1/chat/completions") {
  return json{{"custom_id", id},
              {"method", "POST"},
              {"url", url},
              {"body", {{"model", model}, {"messages", {{{"role", "user"}, {"content", "Hi " + id}}}}}}}
      .dump();
}

struct Run {
  std::string records;
  std::unique_ptr<BatchFileChecker> checker;
};

Run run(const config::Settings& s, const std::vector<std::string>& lines,
        std::optional<std::string> pinned = std::nullopt, CheckLimits limits = {}) {
  Run r;
  r.checker = std::make_unique<BatchFileChecker>(
      s, [](std::string_view m) { return m != "nova-batch"; }, limits, std::move(pinned));
  for (const auto& l : lines) r.checker->add_line(l, false, r.records);
  r.checker->finish();
  return r;
}

TEST(BatchFileChecker, TranslatesAGoodFileIntoRecordsWithAMapping) {
  auto s = settings();
  auto r = run(s, {chat_line("request-1"), chat_line("request/2 with space"), ""});
  ASSERT_TRUE(r.checker->ok()) << r.checker->problems()[0].message;
  EXPECT_EQ(r.checker->model_name(), "claude-batch");
  EXPECT_EQ(r.checker->line_count(), 3);
  EXPECT_EQ(r.checker->request_count(), 2);
  ASSERT_EQ(r.checker->record_count(), 2);
  const auto& m = r.checker->mappings();
  EXPECT_EQ(m[0].record_id, "R0000000001");
  EXPECT_EQ(m[1].custom_id, "request/2 with space");
  EXPECT_EQ(m[1].line, 2);

  std::vector<json> records;
  size_t start = 0;
  for (size_t nl; (nl = r.records.find('\n', start)) != std::string::npos; start = nl + 1)
    records.push_back(json::parse(r.records.substr(start, nl - start)));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["recordId"], "R0000000001");
  const auto& input = records[0]["modelInput"];
  EXPECT_EQ(input["anthropic_version"], "bedrock-2023-05-31");
  EXPECT_EQ(input["max_tokens"], 321);  // the model's configured default
  EXPECT_FALSE(input.contains("model"));
}

TEST(BatchFileChecker, NamesEveryBadLine) {
  auto s = settings();
  std::vector<std::string> lines = {
      chat_line("ok-1"),                                       // 1
      "{not json",                                             // 2
      json{{"method", "POST"}, {"url", "/v1/chat/completions"}, {"body", {{"model", "claude-batch"}}}}.dump(),  // 3
      chat_line("ok-1"),                                       // 4 duplicate
      chat_line("mixed", "titan"),                             // 5 mixed models
      chat_line("unknown", "gpt-9"),                           // 6 unknown model
      chat_line("disallowed", "nova-batch"),                   // 7 not allowed for this key
      chat_line("wrong-url", "claude-batch", "/v1/embeddings"),  // 8 url differs
      chat_line("bad-url", "claude-batch", "/v1/completions"),  // 9 unsupported url
      chat_line("ok-2"),                                       // 10
  };
  auto r = run(s, lines);
  EXPECT_FALSE(r.checker->ok());
  std::vector<std::pair<std::int64_t, std::string>> got;
  for (const auto& p : r.checker->problems()) got.emplace_back(p.line, p.code);
  EXPECT_EQ(got, (std::vector<std::pair<std::int64_t, std::string>>{{2, "invalid_json_line"},
                                                                   {3, "invalid_custom_id"},
                                                                   {4, "duplicate_custom_id"},
                                                                   {5, "model_mismatch"},
                                                                   {6, "model_not_found"},
                                                                   {7, "model_not_allowed"},
                                                                   {8, "url_mismatch"},
                                                                   {9, "invalid_url"}}));
  EXPECT_NE(r.checker->problems()[2].message.find("line 1"), std::string::npos);
  EXPECT_EQ(std::count(r.records.begin(), r.records.end(), '\n'), 1) << "records stop at the first bad line";
}

TEST(BatchFileChecker, EmptyAndOversizedFiles) {
  auto s = settings();
  auto empty = run(s, {"", "  "});
  ASSERT_EQ(empty.checker->problem_count(), 1);
  EXPECT_EQ(empty.checker->problems()[0].code, "empty_file");

  auto big = run(s, {chat_line("a"), chat_line("b"), chat_line("c")}, std::nullopt, CheckLimits{2, 100});
  ASSERT_EQ(big.checker->problem_count(), 1);
  EXPECT_EQ(big.checker->problems()[0].code, "too_many_tasks");
  EXPECT_EQ(big.checker->problems()[0].line, 3);
}

TEST(BatchFileChecker, ReportsAtMostTheLimitButCountsAll) {
  auto s = settings();
  std::vector<std::string> lines(150, "nope");
  auto r = run(s, lines);
  EXPECT_EQ(r.checker->problems().size(), 100u);
  EXPECT_EQ(r.checker->problem_count(), 150);
}

TEST(BatchFileChecker, PinnedModelOverridesBodyModel) {
  auto s = settings();
  auto r = run(s, {chat_line("a", "gpt-4o-mini"), chat_line("b", "gpt-4o-mini")}, std::string("claude-batch"));
  ASSERT_TRUE(r.checker->ok()) << r.checker->problems()[0].message;
  EXPECT_EQ(r.checker->model_name(), "claude-batch");
  EXPECT_EQ(r.checker->record_count(), 2);

  auto unpinned = run(s, {chat_line("a", "gpt-4o-mini")});
  EXPECT_TRUE(unpinned.checker->only_unknown_models());
}

TEST(BatchFileChecker, EmbeddingListsExpandToOneRecordPerString) {
  auto s = settings();
  std::string line = json{{"custom_id", "e1"},
                          {"method", "POST"},
                          {"url", "/v1/embeddings"},
                          {"body", {{"model", "titan"}, {"input", {"one", "two", "three"}}}}}
                         .dump();
  auto r = run(s, {line});
  ASSERT_TRUE(r.checker->ok()) << r.checker->problems()[0].message;
  ASSERT_EQ(r.checker->record_count(), 3);
  const auto& m = r.checker->mappings();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m[size_t(i)].custom_id, "e1");
    EXPECT_EQ(m[size_t(i)].part, i);
    EXPECT_EQ(m[size_t(i)].parts, 3);
  }
}

TEST(BatchFileChecker, TranslationErrorsAreLineProblems) {
  auto s = settings();
  std::string hot = json{{"custom_id", "t"},
                         {"method", "POST"},
                         {"url", "/v1/chat/completions"},
                         {"body", {{"model", "claude-batch"}, {"temperature", 1.7}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}}}
                        .dump();
  auto r = run(s, {chat_line("a"), hot});
  ASSERT_EQ(r.checker->problem_count(), 1);
  EXPECT_EQ(r.checker->problems()[0].line, 2);
  EXPECT_NE(r.checker->problems()[0].param.find("temperature"), std::string::npos);
}

}  // namespace
}  // namespace batchgate::files
