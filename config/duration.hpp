#pragma once
// Durations as LiteLLM writes them: "30" (seconds), "30s", "5m", "1h", "30d".

#include <chrono>
#include <optional>
#include <string_view>

namespace batchgate::config {

std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace batchgate::config
