#include "translators/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace batchgate::translators {
namespace {

namespace dom = simdjson::dom;

// Bytes that cannot be copied as they are: '"', '\\' and control characters (RFC 8259 §7). Bytes from
// 0x80 are marked 2 so that one table lookup also notices non-ASCII text, which needs a UTF-8 check.
constexpr std::array<std::uint8_t, 256> kByteClass = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 1;
  table['"'] = 1;
  table['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) table[c] = 2;
  return table;
}();

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid (RFC 3629 §4).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  std::size_t size = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (size == 0 || c > 0xF4 || i + size > text.size()) return 0;
  for (std::size_t k = 1; k < size; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  unsigned char second = byte(i + 1);
  if (c == 0xE0 && second < 0xA0) return 0;  // overlong
  if (c == 0xED && second > 0x9F) return 0;  // surrogate
  if (c == 0xF0 && second < 0x90) return 0;  // overlong
  if (c == 0xF4 && second > 0x8F) return 0;  // beyond U+10FFFF
  return size;
}

// The slow path for text with invalid UTF-8: every bad byte becomes U+FFFD.
void append_repaired(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (kByteClass[c] == 0) {
      out += text[i++];
    } else if (kByteClass[c] == 1) {
      append_escape(out, c);
      ++i;
    } else if (std::size_t size = utf8_sequence(text, i); size > 0) {
      out.append(text.data() + i, size);
      i += size;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

// Eight bytes at a time: the position of the first 8-byte word from `i` holding a byte that is not plain
// (kByteClass != 0), or of the last few bytes. SWAR tests (Hacker's Delight §6.1): a byte < 0x20, equal to
// '"' or '\\', or with its high bit set marks the word; a marked word may hold plain bytes too.
std::size_t skip_plain(std::string_view text, std::size_t i) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, 8);
    const std::uint64_t quote = word ^ (kOnes * '"');
    const std::uint64_t backslash = word ^ (kOnes * '\\');
    const std::uint64_t marked = (word - kOnes * 0x20) | (quote - kOnes) | (backslash - kOnes) | word;
    if ((marked & kHigh) != 0) return i;
  }
  return i;
}

template <class Number>
void append_integer(std::string& out, Number number) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
  out.append(buffer, result.ptr);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out += '"';
  std::size_t run = 0;
  bool non_ascii = false;
  for (std::size_t i = skip_plain(text, 0); i < text.size(); i = skip_plain(text, i)) {
    std::uint8_t kind = kByteClass[static_cast<unsigned char>(text[i])];
    if (kind == 0) {
      ++i;
      continue;
    }
    if (kind == 2) {
      non_ascii = true;
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    append_escape(out, static_cast<unsigned char>(text[i]));
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
  if (non_ascii && !simdjson::validate_utf8(text.data(), text.size())) {
    out.resize(start);
    append_repaired(out, text);
  }
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  // Keys are short plain names nearly always: comma, quotes and colon go out in one append.
  char buffer[64];
  const bool plain = name.size() + 4 <= sizeof buffer && std::all_of(name.begin(), name.end(), [](char c) {
                       return kByteClass[static_cast<unsigned char>(c)] == 0;
                     });
  if (plain) {
    std::size_t size = 0;
    if (need_comma_) buffer[size++] = ',';
    buffer[size++] = '"';
    std::memcpy(buffer + size, name.data(), name.size());
    size += name.size();
    buffer[size++] = '"';
    buffer[size++] = ':';
    out_.append(buffer, size);
    need_comma_ = false;
    return *this;
  }
  separate();
  append_json_string(out_, name);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  separate();
  append_json_string(out_, text);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::number(std::int64_t value) {
  separate();
  append_integer(out_, value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::number(std::uint64_t value) {
  separate();
  append_integer(out_, value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::number(double value) {
  separate();
  need_comma_ = true;
  if (!std::isfinite(value)) {
    out_ += "null";
    return *this;
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string_view text(buffer, std::size_t(result.ptr - buffer));
  out_ += text;
  // Keep 1.0 a float for readers that tell integers and floats apart.
  if (text.find_first_of(".e") == std::string_view::npos) out_ += ".0";
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  separate();
  out_ += value ? "true" : "false";
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json_text) {
  separate();
  out_ += json_text;
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(dom::element element) {
  switch (element.type()) {
    case dom::element_type::OBJECT:
      begin_object();
      for (dom::key_value_pair field : dom::object(element)) {
        key(field.key);
        value(field.value);
      }
      return end_object();
    case dom::element_type::ARRAY:
      begin_array();
      for (dom::element item : dom::array(element)) value(item);
      return end_array();
    case dom::element_type::STRING:
      return string(std::string_view(element));
    case dom::element_type::INT64:
      return number(std::int64_t(element));
    case dom::element_type::UINT64:
      return number(std::uint64_t(element));
    case dom::element_type::DOUBLE:
      return number(double(element));
    case dom::element_type::BOOL:
      return boolean(bool(element));
    case dom::element_type::NULL_VALUE:
      break;
  }
  return null();
}

}  // namespace batchgate::translators
