#pragma once
// Reads one line of a Bedrock batch output file (spec/bedrock-batch.md §8.2):
// {"recordId", "modelInput", "modelOutput"} or {"recordId", "modelInput", "error":{errorCode, errorMessage}}.
// simdjson parses (and validates) the whole line; only the parts the collector needs become nlohmann values,
// so the usually large modelInput is never materialised. Asio-free.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate::batch {

struct BedrockOutputRecord {
  std::string record_id;
  // {"modelOutput": …} or {"error": …}, the shape translators::build_output_line reads; with keep_whole_line
  // the whole line instead (recordId and modelInput included).
  nlohmann::json record;
  bool has_error = false;   // the line carries a non-null "error"
  bool has_output = false;  // the line carries "modelOutput"
};

class RecordReader {
 public:
  RecordReader();
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // nullopt when the line is not a JSON object or has no string recordId.
  std::optional<BedrockOutputRecord> read(std::string_view line, bool keep_whole_line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace batchgate::batch
