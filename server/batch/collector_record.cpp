#include "server/batch/collector_record.hpp"

#include <nlohmann/json.hpp>

namespace batchgate::batch {
namespace {

std::optional<BedrockOutputRecord> as_record(translators::JsonValue root, std::string_view text) {
  std::string_view record_id;
  if (!root.is_object() || root.at_key("recordId").get_string().get(record_id) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return BedrockOutputRecord{record_id, root, text};
}

}  // namespace

std::optional<BedrockOutputRecord> RecordReader::read(std::string_view line) {
  translators::JsonValue root;
  if (parser_.parse(line.data(), line.size()).get(root) == simdjson::SUCCESS) return as_record(root, line);
  // simdjson refuses what nlohmann accepts in a few corners (integers beyond 64 bits, which nlohmann reads
  // as doubles); such a line is rewritten by nlohmann and read again rather than losing its record.
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  rewritten_ = doc.dump();
  if (parser_.parse(rewritten_).get(root) != simdjson::SUCCESS) return std::nullopt;
  return as_record(root, rewritten_);
}

}  // namespace batchgate::batch
