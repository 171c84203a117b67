#pragma once
// Reading parsed JSON (simdjson DOM) in the translators. A dom::element is a small handle into its
// parser's document: string_views read from it stay valid while that parser holds the document, so
// translators borrow text instead of copying it.

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

namespace batchgate::translators {

using JsonValue = simdjson::dom::element;

// object[key], or nullopt when `object` is not an object, the key is absent or its value is null (OpenAI
// treats null as "not set"). The first occurrence wins when a key repeats.
std::optional<JsonValue> find_set(JsonValue object, std::string_view key);

// The string at object[key], or "" when absent or not a string.
std::string_view string_at(JsonValue object, std::string_view key);

// The string a value holds ("" for other types).
inline std::string_view as_string(JsonValue value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return {};
  return text;
}

// Any JSON number as a double (0 for other types).
inline double as_double(JsonValue value) {
  double number = 0.0;
  if (value.get_double().get(number) != simdjson::SUCCESS) return 0.0;
  return number;
}

// Number of items of an array value (0 for other types).
std::size_t array_size(JsonValue value);

// Compact JSON text of a value.
std::string to_json_text(JsonValue value);

// A short rendering of a value for error messages: its compact JSON, cut to 60 bytes (at a UTF-8
// character boundary) with "..." appended when longer.
std::string describe(JsonValue value);

}  // namespace batchgate::translators
