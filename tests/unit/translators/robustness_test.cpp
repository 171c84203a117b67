// Translators face whatever a client uploads and whatever Bedrock writes: no input may make them throw
// (exceptions do not cross module boundaries, STYLE.md rule 8) or produce output that cannot be serialised.
// Every golden case is mutated at every JSON node into every JSON type, and the results are checked.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/unit/translators/parsed_json.hpp"
#include "translators/batch_line.hpp"
#include "translators/output_line.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<json>& replacements() {
  static const std::vector<json> kValues = {nullptr,       true,   0,   -1, 1.5, 1e300, 18446744073709551615ULL,
                                            "",            "text", "data:image/png;base64,", json::array(),
                                            json::object(), json::array({1, "a", nullptr})};
  return kValues;
}

// Calls `visit` with a copy of `root` in which one node is replaced, for every node and replacement.
void for_each_mutation(const json& root, const std::function<void(const json&)>& visit) {
  std::vector<json::json_pointer> pointers;
  json flat = root.flatten();  // leaves only; add their parents so containers are replaced too
  for (const auto& [path, value] : flat.items()) {
    for (json::json_pointer pointer(path); !pointer.empty(); pointer = pointer.parent_pointer()) {
      pointers.push_back(pointer);
    }
  }
  std::sort(pointers.begin(), pointers.end());
  pointers.erase(std::unique(pointers.begin(), pointers.end()), pointers.end());
  for (const json::json_pointer& pointer : pointers) {
    for (const json& value : replacements()) {
      json mutated = root;
      mutated[pointer] = value;
      visit(mutated);
    }
  }
}

std::vector<json> golden_lines(const std::string& direction) {
  std::vector<json> lines;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(BATCHGATE_SOURCE_DIR) / "tests" / "golden")) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(".input.jsonl") || entry.path().parent_path().filename() != direction) continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      json test = json::parse(line, nullptr, false);
      if (test.is_object()) lines.push_back(std::move(test));
    }
  }
  return lines;
}

std::vector<const Translator*> all_translators() {
  return {find_translator("anthropic.claude-3-haiku-20240307-v1:0", Endpoint::kChatCompletions),
          find_translator("amazon.nova-lite-v1:0", Endpoint::kChatCompletions),
          find_translator("meta.llama3-1-70b-instruct-v1:0", Endpoint::kChatCompletions),
          find_translator("amazon.titan-embed-text-v2:0", Endpoint::kEmbeddings),
          find_translator("amazon.titan-embed-text-v1", Endpoint::kEmbeddings)};
}

void expect_serialisable(const json& value) { EXPECT_NO_THROW((void)value.dump()) << "unserialisable output"; }

TEST(TranslatorsRobustnessTest, RequestTranslationNeverThrows) {
  std::size_t runs = 0;
  for (const json& test : golden_lines("request")) {
    for_each_mutation(test.at("body"), [&](const json& body) {
      for (const Translator* translator : all_translators()) {
        for (bool drop : {false, true}) {
          RequestTranslation translation;
          ParsedJson parsed(body);
          ASSERT_NO_THROW(translation = translator->to_bedrock(parsed.root(), RequestOptions{4096, drop, {}}))
              << body.dump();
          ++runs;
          if (translation.error) {
            expect_serialisable(json(translation.error->message));
            EXPECT_FALSE(translation.error->message.empty());
            continue;
          }
          EXPECT_FALSE(translation.model_inputs.empty()) << body.dump();
          for (const std::string& text : translation.model_inputs) {
            json input = json::parse(text, nullptr, false);
            ASSERT_TRUE(input.is_object()) << "modelInput is not a JSON object: " << text;
            EXPECT_EQ(text.find('\n'), std::string::npos) << "a raw newline breaks the JSONL file";
            EXPECT_FALSE(input.contains("model")) << "model must never reach modelInput";
          }
        }
      }
    });
  }
  EXPECT_GT(runs, 10000U);
}

// The parsed items of a JSON array (the mutations hold valid JSON, so simdjson reads every dump).
std::vector<JsonValue> parse_items(simdjson::dom::parser& parser, const json& array) {
  simdjson::dom::array items;
  EXPECT_EQ(parser.parse(array.dump()).get(items), simdjson::SUCCESS) << array.dump();
  return {items.begin(), items.end()};
}

void expect_json_text(const std::string& text) {
  EXPECT_TRUE(json::accept(text)) << "not JSON: " << text;
}

TEST(TranslatorsRobustnessTest, ResponseTranslationNeverThrows) {
  ResponseContext context{"m", "chatcmpl-x", 1, {}};
  simdjson::dom::parser parser;
  std::size_t runs = 0;
  for (const json& test : golden_lines("response")) {
    for_each_mutation(test.at("outputs"), [&](const json& outputs) {
      if (!outputs.is_array()) return;
      std::vector<JsonValue> list = parse_items(parser, outputs);
      for (const Translator* translator : all_translators()) {
        for (bool base64 : {false, true}) {
          context.hints.base64_embeddings = base64;
          ResponseTranslation translation;
          ASSERT_NO_THROW(translation = translator->to_openai(list, context)) << outputs.dump();
          ++runs;
          if (!translation.error) expect_json_text(translation.body);
        }
      }
    });
  }
  EXPECT_GT(runs, 1000U);
}

TEST(TranslatorsRobustnessTest, OutputLinesNeverThrow) {
  const Translator* claude = find_translator("anthropic.claude-3-haiku-20240307-v1:0", Endpoint::kChatCompletions);
  simdjson::dom::parser parser;
  for (const json& test : golden_lines("build")) {
    for_each_mutation(test.at("records"), [&](const json& records) {
      if (!records.is_array()) return;
      std::vector<std::optional<JsonValue>> list;
      for (JsonValue record : parse_items(parser, records)) list.emplace_back(record);
      OutputLine line;
      ASSERT_NO_THROW(line = build_output_line("c", list, *claude, ResponseContext{}, LineIds{"b", "r"},
                                               MissingReason::kMissingOutput))
          << records.dump();
      json parsed = json::parse(line.line, nullptr, false);
      ASSERT_TRUE(parsed.is_object()) << "not a JSON object: " << line.line;
      EXPECT_EQ(parsed["custom_id"], "c");
    });
  }
}

TEST(TranslatorsRobustnessTest, BatchLinesNeverThrow) {
  json line = json::parse(R"({"custom_id":"a","method":"POST","url":"/v1/chat/completions",
      "body":{"model":"m","messages":[{"role":"user","content":"hi"}]}})");
  simdjson::dom::parser parser;
  for_each_mutation(line, [&](const json& mutated) {
    ASSERT_NO_THROW((void)parse_batch_line(parser, mutated.dump())) << mutated.dump();
  });
  for (std::string_view text : {"", "{", "\"x\"", "{\"custom_id\":\"\\ud800\"}", "\xff\xfe"}) {
    EXPECT_FALSE(parse_batch_line(parser, text).has_value()) << text;
  }
}

TEST(TranslatorsRobustnessTest, LongValuesInMessagesStayValidUtf8) {
  // describe() shortens values quoted in messages; it must not split a multi-byte character.
  std::string snowmen;
  for (int i = 0; i < 40; ++i) snowmen += "\xE2\x98\x83";
  json body = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"n", snowmen}};
  const Translator* claude = find_translator("anthropic.claude-3-haiku-20240307-v1:0", Endpoint::kChatCompletions);
  ParsedJson parsed(body);
  RequestTranslation translation = claude->to_bedrock(parsed.root(), RequestOptions{});
  ASSERT_TRUE(translation.error);
  EXPECT_NO_THROW((void)json(translation.error->message).dump());
}

}  // namespace
}  // namespace batchgate::translators
