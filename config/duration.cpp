#include "config/duration.hpp"

#include <charconv>

namespace batchgate::config {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || value < 0) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  long long scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else if (unit == "w") scale = 7 * 86400;
  else if (unit == "mo") scale = 30 * 86400;  // LiteLLM's month (budget_duration "1mo")
  else return std::nullopt;
  if (value > (1ll << 40) / scale) return std::nullopt;
  return std::chrono::seconds(value * scale);
}

}  // namespace batchgate::config
