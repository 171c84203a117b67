#pragma once
// Strict whole numbers from request fields: the whole text is digits (after an optional '-'), nothing around
// them. std::stoll would take " 24", "+24" and "3600abc".

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace batchgate {

inline std::optional<std::int64_t> parse_whole_number(std::string_view text) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace batchgate
