#pragma once
// One line of an OpenAI batch input file (spec/openai-batch.md §4): {"custom_id", "method", "url", "body"}.
// Checks that hold for a line on its own live here; checks across lines (custom_id unique, one url and one
// model per file) and the line number belong to the caller, which sees the whole file.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "translators/expected.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators {

struct BatchLine {
  std::string custom_id;
  Endpoint endpoint = Endpoint::kChatCompletions;
  std::string model;    // body.model: the name the client asked for (a model_list name)
  nlohmann::json body;  // the request body, to pass to Translator::to_bedrock
};

// Parses one line. Errors use OpenAI's batch validation codes where they exist (invalid_json_line) and
// name the field as param: "custom_id", "method", "url", "body", "body.model".
Expected<BatchLine> parse_batch_line(std::string_view text);

// The Bedrock input record line {"recordId", "modelInput"} (spec/bedrock-batch.md §8.1), without the
// trailing newline. modelInput never carries a model id: Bedrock takes it from the job.
std::string bedrock_record_line(std::string_view record_id, const nlohmann::json& model_input);

}  // namespace batchgate::translators
