#pragma once
// One line of an OpenAI batch input file (spec/openai-batch.md §4): {"custom_id", "method", "url", "body"}.
// Checks that hold for a line on its own live here; checks across lines (custom_id unique, one url and one
// model per file) and the line number belong to the caller, which sees the whole file.

#include <simdjson.h>

#include <string>
#include <string_view>

#include "translators/expected.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators {

// Views into the parser's document: valid until `parser` parses something else.
struct BatchLine {
  std::string_view custom_id;
  Endpoint endpoint = Endpoint::kChatCompletions;
  std::string_view model;  // body.model: the name the client asked for (a model_list name)
  JsonValue body;          // the request body, to pass to Translator::to_bedrock
};

// Parses one line with `parser` (reused from line to line: it keeps its buffers). Errors use OpenAI's
// batch validation codes where they exist (invalid_json_line) and name the field as param: "custom_id",
// "method", "url", "body", "body.model".
Expected<BatchLine> parse_batch_line(simdjson::dom::parser& parser, std::string_view text);

// Appends the Bedrock input record line {"recordId", "modelInput"} (spec/bedrock-batch.md §8.1), without
// the trailing newline; `model_input` is compact JSON text from to_bedrock. modelInput never carries a
// model id: Bedrock takes it from the job.
void append_bedrock_record_line(std::string& out, std::string_view record_id, std::string_view model_input);

}  // namespace batchgate::translators
