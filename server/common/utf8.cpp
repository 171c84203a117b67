#include "server/common/utf8.hpp"

#include <simdjson.h>

namespace batchgate {

bool valid_utf8(std::string_view bytes) {
  return simdjson::validate_utf8(bytes.data(), bytes.size());
}

std::string_view utf8_prefix(std::string_view value, std::size_t max_bytes) {
  if (value.size() <= max_bytes) return value;
  std::size_t end = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut never splits a character.
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return value.substr(0, end);
}

std::string excerpt(std::string_view value) {
  if (value.size() <= kExcerptBytes) return "'" + std::string(value) + "'";
  return "'" + std::string(utf8_prefix(value, kExcerptBytes)) + "…' (" + std::to_string(value.size()) + " bytes)";
}

}  // namespace batchgate
