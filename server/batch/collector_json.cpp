#include "server/batch/collector_json.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace batchgate::batch {
namespace {

using nlohmann::json;

// Bytes that cannot be copied as they are: '"', '\\' and control characters (RFC 8259 §7).
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

void append_string(std::string& out, std::string_view text) {
  bool ascii = true;
  for (unsigned char c : text) ascii &= c < 0x80;
  if (!ascii && !simdjson::validate_utf8(text.data(), text.size())) {
    out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(text.data() + run, i - run);
    append_escape(out, c);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

template <typename Number>
void append_number(std::string& out, Number number) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
  out.append(buffer, result.ptr);
}

void append_double(std::string& out, double number) {
  // JSON has no NaN or infinity; dump() writes null for them too.
  if (!std::isfinite(number)) {
    out += "null";
    return;
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
  std::string_view text(buffer, std::size_t(result.ptr - buffer));
  out += text;
  // Keep 1.0 a float for readers that distinguish (dump() writes "1.0").
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

}  // namespace

void append_json(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        append_string(out, key);
        out += ':';
        append_json(out, item);
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const json& item : value.get_ref<const json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        append_json(out, item);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      append_string(out, value.get_ref<const std::string&>());
      return;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      append_number(out, value.get<std::int64_t>());
      return;
    case json::value_t::number_unsigned:
      append_number(out, value.get<std::uint64_t>());
      return;
    case json::value_t::number_float:
      append_double(out, value.get<double>());
      return;
    case json::value_t::null:
    case json::value_t::discarded:
      out += "null";
      return;
    case json::value_t::binary:
      break;
  }
  out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace batchgate::batch
