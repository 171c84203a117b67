#pragma once
// Reads one line of a Bedrock batch output file (spec/bedrock-batch.md §8.2):
// {"recordId", "modelInput", "modelOutput"} or {"recordId", "modelInput", "error":{errorCode, errorMessage}}.
// simdjson parses (and validates) the whole line once; the record is handed on as the parsed value, so
// nothing is copied into another tree. Asio-free.

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "translators/json_value.hpp"

namespace batchgate::batch {

// Views into the RecordReader that read it, valid until its next read().
struct BedrockOutputRecord {
  std::string_view record_id;
  // The whole line ({"recordId", "modelInput", "modelOutput" | "error"}), the shape
  // translators::build_output_line reads.
  translators::JsonValue record;
  // JSON text simdjson accepts that holds the same record: the line itself, or its rewritten form when the
  // line needed the slow path. Keep this to read the record again later.
  std::string_view text;
};

class RecordReader {
 public:
  // nullopt when the line is not a JSON object or has no string recordId.
  std::optional<BedrockOutputRecord> read(std::string_view line);

 private:
  simdjson::dom::parser parser_;
  std::string rewritten_;  // the slow path's text
};

}  // namespace batchgate::batch
