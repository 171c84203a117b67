#include "server/batch/collector_record.hpp"

#include <simdjson.h>

#include <utility>

namespace batchgate::batch {
namespace {

using nlohmann::json;
namespace dom = simdjson::dom;

json to_json(dom::element element);

json object_to_json(dom::object object) {
  json out = json::object();
  // Later duplicates win, as with nlohmann::json::parse.
  for (dom::key_value_pair field : object) out[std::string(field.key)] = to_json(field.value);
  return out;
}

json to_json(dom::element element) {
  switch (element.type()) {
    case dom::element_type::OBJECT:
      return object_to_json(dom::object(element));
    case dom::element_type::ARRAY: {
      json out = json::array();
      for (dom::element item : dom::array(element)) out.push_back(to_json(item));
      return out;
    }
    case dom::element_type::STRING:
      return json(std::string_view(element));
    case dom::element_type::INT64:
      return json(std::int64_t(element));
    case dom::element_type::UINT64:
      return json(std::uint64_t(element));
    case dom::element_type::DOUBLE:
      return json(double(element));
    case dom::element_type::BOOL:
      return json(bool(element));
    case dom::element_type::NULL_VALUE:
      break;
  }
  return json(nullptr);
}

// simdjson refuses what nlohmann accepts in a few corners (integers beyond 64 bits, which nlohmann reads
// as doubles); such a line is read again the slow way rather than losing its record.
std::optional<BedrockOutputRecord> read_slowly(std::string_view line, bool keep_whole_line) {
  json doc = json::parse(line, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  auto id = doc.find("recordId");
  if (id == doc.end() || !id->is_string()) return std::nullopt;
  BedrockOutputRecord out;
  out.record_id = id->get<std::string>();
  auto error = doc.find("error");
  out.has_error = error != doc.end() && !error->is_null();
  auto output = doc.find("modelOutput");
  out.has_output = output != doc.end();
  if (keep_whole_line) {
    out.record = std::move(doc);
  } else if (out.has_error) {
    out.record = json::object({{"error", std::move(*error)}});
  } else if (out.has_output) {
    out.record = json::object({{"modelOutput", std::move(*output)}});
  } else {
    out.record = json::object();
  }
  return out;
}

}  // namespace

struct RecordReader::Impl {
  dom::parser parser;
};

RecordReader::RecordReader() : impl_(std::make_unique<Impl>()) {}
RecordReader::~RecordReader() = default;

std::optional<BedrockOutputRecord> RecordReader::read(std::string_view line, bool keep_whole_line) {
  dom::element root;
  if (impl_->parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
    return read_slowly(line, keep_whole_line);
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  std::string_view record_id;
  if (object["recordId"].get_string().get(record_id) != simdjson::SUCCESS) return std::nullopt;

  BedrockOutputRecord out;
  out.record_id = std::string(record_id);
  dom::element error;
  out.has_error = object["error"].get(error) == simdjson::SUCCESS && !error.is_null();
  dom::element output;
  out.has_output = object["modelOutput"].get(output) == simdjson::SUCCESS;
  if (keep_whole_line) {
    out.record = object_to_json(object);
  } else if (out.has_error) {
    out.record = json::object({{"error", to_json(error)}});
  } else if (out.has_output) {
    out.record = json::object({{"modelOutput", to_json(output)}});
  } else {
    out.record = json::object();
  }
  return out;
}

}  // namespace batchgate::batch
