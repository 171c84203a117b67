// The golden corpus (STYLE.md rule 16): tests/golden/<family>/<direction>/<case>.input.jsonl holds one test
// case per line, <case>.expected.jsonl the expected result line for each. JSON is compared semantically.
// UPDATE_GOLDEN=1 rewrites the expected files from the current output — review the diff before committing.
//
// request   input  {"name", "body", "options"?: {default_max_tokens, drop_params}, "model_id"?}
//           output {"name", "model_inputs": [...], "hints"?: {...}} or {"name", "error":
//           {code,message,param}}
// response  input  {"name", "outputs": [modelOutput...], "context"?: {model, response_id, created, hints}}
//           output {"name", "body": {...}} or {"name", "error": {...}}
// output_lines/build (family-independent)
//           input  {"name", "model_id", "custom_id", "records": [record|null], "missing_reason"?, "context"?}
//           output {"name", "is_error", "line"}

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/unit/translators/parsed_json.hpp"
#include "translators/output_line.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

fs::path golden_root() {
  return fs::path(BATCHGATE_SOURCE_DIR) / "tests" / "golden";
}

// The Bedrock model id each family directory is tested with (and so the registry, too).
const std::map<std::string, std::string>& family_models() {
  static const std::map<std::string, std::string> kModels = {
      {"anthropic_messages", "us.anthropic.claude-3-5-haiku-20241022-v1:0"},
      {"nova_messages", "amazon.nova-lite-v1:0"},
      {"llama_prompt", "meta.llama3-1-70b-instruct-v1:0"},
      {"titan_embeddings", "amazon.titan-embed-text-v2:0"},
  };
  return kModels;
}

struct GoldenCase {
  std::string family;     // directory below tests/golden
  std::string direction;  // "request", "response", "build"
  std::string name;       // file stem without ".input.jsonl"
  fs::path input;
  fs::path expected;
};

std::vector<GoldenCase> find_cases() {
  std::vector<GoldenCase> cases;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(golden_root(), ec)) {
    std::string file = entry.path().filename().string();
    constexpr std::string_view kSuffix = ".input.jsonl";
    if (!entry.is_regular_file() || !file.ends_with(kSuffix)) continue;
    GoldenCase c;
    c.name = file.substr(0, file.size() - kSuffix.size());
    c.direction = entry.path().parent_path().filename().string();
    c.family = entry.path().parent_path().parent_path().filename().string();
    c.input = entry.path();
    c.expected = entry.path().parent_path() / (c.name + ".expected.jsonl");
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const GoldenCase& a, const GoldenCase& b) { return a.input < b.input; });
  return cases;
}

std::vector<json> read_jsonl(const fs::path& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    lines.push_back(json::parse(line));
  }
  return lines;
}

ResponseContext read_context(const json& test) {
  ResponseContext context{"test-model", "chatcmpl-golden", 1700000000, {}};
  if (!test.contains("context")) return context;
  const json& c = test["context"];
  context.model = c.value("model", context.model);
  context.response_id = c.value("response_id", context.response_id);
  context.created = c.value("created", context.created);
  if (c.contains("hints")) context.hints.base64_embeddings = c["hints"].value("base64_embeddings", false);
  return context;
}

json error_json(const LineError& error) {
  return {{"code", error.code}, {"message", error.message}, {"param", error.param}};
}

const Translator& translator_for(const std::string& model_id, Endpoint endpoint) {
  const Translator* translator = find_translator(model_id, endpoint);
  if (translator == nullptr) throw std::runtime_error("no translator for " + model_id);
  return *translator;
}

Endpoint endpoint_of(const std::string& family) {
  return family == "titan_embeddings" ? Endpoint::kEmbeddings : Endpoint::kChatCompletions;
}

json run_request(const GoldenCase& c, const json& test) {
  RequestOptions options;
  if (test.contains("options")) {
    options.default_max_tokens = test["options"].value("default_max_tokens", options.default_max_tokens);
    options.drop_params = test["options"].value("drop_params", options.drop_params);
  }
  std::string model = test.value("model_id", family_models().at(c.family));
  const Translator& translator = translator_for(model, endpoint_of(c.family));
  EXPECT_EQ(translator.family(), c.family) << "model id " << model;
  ParsedJson body(test.at("body"));
  RequestTranslation translation = translator.to_bedrock(body.root(), options);
  if (translation.error) return {{"error", error_json(*translation.error)}};
  json inputs = json::array();
  for (const std::string& input : translation.model_inputs) inputs.push_back(json::parse(input));
  json result = {{"model_inputs", std::move(inputs)}};
  if (translation.hints != ResponseHints{}) {
    result["hints"] = {{"base64_embeddings", translation.hints.base64_embeddings}};
  }
  return result;
}

json run_response(const GoldenCase& c, const json& test) {
  const Translator& translator = translator_for(family_models().at(c.family), endpoint_of(c.family));
  simdjson::dom::parser parser;
  simdjson::dom::array parsed;
  EXPECT_EQ(parser.parse(test.at("outputs").dump()).get(parsed), simdjson::SUCCESS);
  std::vector<JsonValue> outputs(parsed.begin(), parsed.end());
  ResponseTranslation translation = translator.to_openai(outputs, read_context(test));
  if (translation.error) return {{"error", error_json(*translation.error)}};
  return {{"body", json::parse(translation.body)}};
}

json run_build(const json& test) {
  std::string model = test.at("model_id").get<std::string>();
  Endpoint endpoint =
      model.find("embed") != std::string::npos ? Endpoint::kEmbeddings : Endpoint::kChatCompletions;
  simdjson::dom::parser parser;
  simdjson::dom::array parsed;
  EXPECT_EQ(parser.parse(test.at("records").dump()).get(parsed), simdjson::SUCCESS);
  std::vector<std::optional<JsonValue>> records;
  for (JsonValue record : parsed) {
    records.push_back(record.is_null() ? std::nullopt : std::optional<JsonValue>(record));
  }
  std::string reason = test.value("missing_reason", "missing_output");
  MissingReason missing = reason == "batch_expired"     ? MissingReason::kBatchExpired
                          : reason == "batch_cancelled" ? MissingReason::kBatchCancelled
                                                        : MissingReason::kMissingOutput;
  OutputLine line =
      build_output_line(test.at("custom_id").get<std::string>(), records, translator_for(model, endpoint),
                        read_context(test), LineIds{"batch_req_golden", "req_golden"}, missing);
  return {{"is_error", line.is_error}, {"line", json::parse(line.line)}};
}

json run_case(const GoldenCase& c, const json& test) {
  if (c.direction == "request") return run_request(c, test);
  if (c.direction == "response") return run_response(c, test);
  if (c.direction == "build") return run_build(test);
  throw std::runtime_error("unknown golden direction " + c.direction);
}

// "name" first, then the rest, so expected files read well.
std::string render(const std::string& name, const json& result) {
  ordered_json line;
  line["name"] = name;
  for (const auto& [key, value] : result.items()) line[key] = ordered_json::parse(value.dump());
  return line.dump();
}

class GoldenTest : public testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesExpected) {
  const GoldenCase& c = GetParam();
  std::vector<json> inputs = read_jsonl(c.input);
  ASSERT_FALSE(inputs.empty()) << c.input;
  std::vector<json> actual;
  for (const json& test : inputs) {
    json result = run_case(c, test);
    result["name"] = test.value("name", "");
    actual.push_back(std::move(result));
  }
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(c.expected, std::ios::trunc);
    for (json& result : actual) {
      std::string name = result["name"].get<std::string>();
      result.erase("name");
      out << render(name, result) << '\n';
    }
    GTEST_SKIP() << "rewrote " << c.expected;
  }
  ASSERT_TRUE(fs::exists(c.expected)) << c.expected << " is missing; run with UPDATE_GOLDEN=1 and review it";
  std::vector<json> expected = read_jsonl(c.expected);
  ASSERT_EQ(expected.size(), actual.size()) << c.expected << " has a different number of cases";
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(expected[i], actual[i])
        << "case '" << actual[i]["name"].get<std::string>() << "' (line " << i + 1 << " of "
        << c.input.filename().string()
        << ")\n  diff (expected → actual): " << json::diff(expected[i], actual[i]).dump()
        << "\n  actual: " << actual[i].dump();
  }
}

std::string case_name(const testing::TestParamInfo<GoldenCase>& info) {
  std::string name = info.param.family + "_" + info.param.direction + "_" + info.param.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Translators, GoldenTest, testing::ValuesIn(find_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

}  // namespace
}  // namespace batchgate::translators
