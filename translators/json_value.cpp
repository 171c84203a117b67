#include "translators/json_value.hpp"

#include "translators/json_writer.hpp"

namespace batchgate::translators {

std::optional<JsonValue> find_set(JsonValue object, std::string_view key) {
  simdjson::dom::object fields;
  if (object.get_object().get(fields) != simdjson::SUCCESS) return std::nullopt;
  JsonValue value;
  if (fields.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

std::string_view string_at(JsonValue object, std::string_view key) {
  std::optional<JsonValue> value = find_set(object, key);
  return value ? as_string(*value) : std::string_view();
}

std::size_t array_size(JsonValue value) {
  simdjson::dom::array items;
  if (value.get_array().get(items) != simdjson::SUCCESS) return 0;
  return items.size();
}

std::string to_json_text(JsonValue value) {
  std::string text;
  JsonWriter(text).value(value);
  return text;
}

std::string describe(JsonValue value) {
  std::string text = to_json_text(value);
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return text;
  // Cut at a UTF-8 character boundary: the message ends up in JSON, where a split character is invalid.
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

}  // namespace batchgate::translators
