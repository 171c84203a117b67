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
  // Values nested deeper than simdjson reads are dropped while parsing and the line refused: it could not be
  // read again anyway, nlohmann's dump() recurses once per level (a 200 KB line of '[' overflows the stack),
  // and the tree takes ~100 bytes per level (GBs for a 64 MiB line).
  const int max_depth = int(parser_.max_depth());
  bool too_deep = false;
  nlohmann::json doc = nlohmann::json::parse(
      line,
      [max_depth, &too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > max_depth) too_deep = true;
        return depth <= max_depth;
      },
      false);
  if (too_deep || !doc.is_object()) return std::nullopt;
  rewritten_ = doc.dump();
  if (parser_.parse(rewritten_).get(root) != simdjson::SUCCESS) return std::nullopt;
  return as_record(root, rewritten_);
}

}  // namespace batchgate::batch
