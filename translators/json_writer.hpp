#pragma once
// A compact JSON writer for the hot paths (upload translation, result collection): appends to a
// std::string, places commas itself, copies runs of plain bytes whole when escaping, and copies parsed
// simdjson values without building a tree. Output is one line: no raw newline ever appears (JSONL).

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace batchgate::translators {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The key of the next value in an object.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& number(std::int64_t value);
  JsonWriter& number(std::uint64_t value);
  JsonWriter& number(int value) { return number(std::int64_t{value}); }
  // Shortest text that reads back as the same double; integral values keep a ".0" (as nlohmann writes
  // them), NaN and infinities become null (JSON has neither).
  JsonWriter& number(double value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  // A value that is already compact JSON text.
  JsonWriter& raw(std::string_view json_text);
  // A parsed value, copied as compact JSON.
  JsonWriter& value(simdjson::dom::element element);

  // key(name) followed by the value.
  template <class T>
  JsonWriter& field(std::string_view name, const T& value_of_field) {
    key(name);
    return put(value_of_field);
  }

 private:
  JsonWriter& put(std::string_view text) { return string(text); }
  JsonWriter& put(const std::string& text) { return string(text); }
  JsonWriter& put(const char* text) { return string(text); }
  JsonWriter& put(std::int64_t v) { return number(v); }
  JsonWriter& put(int v) { return number(v); }
  JsonWriter& put(double v) { return number(v); }
  JsonWriter& put(bool v) { return boolean(v); }
  JsonWriter& put(simdjson::dom::element e) { return value(e); }

  void separate() {
    if (need_comma_) out_ += ',';
  }

  std::string& out_;
  bool need_comma_ = false;
};

// `text` as a JSON string literal (quotes included), appended to `out`. Invalid UTF-8 sequences become
// U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

}  // namespace batchgate::translators
