#pragma once

// ISO-8601 timestamps as Bedrock's restJson1 shapes carry them (spec/bedrock-batch.md §1).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate::bedrock_emulator {

using TimePoint = std::chrono::system_clock::time_point;

// "2024-01-15T12:00:00.123Z" (UTC, millisecond precision).
std::string format_iso8601(TimePoint time);

// Accepts "2024-01-15T12:00:00Z", fractional seconds, and "+HH:MM"/"-HH:MM" offsets.
std::optional<TimePoint> parse_iso8601(std::string_view text);

}  // namespace batchgate::bedrock_emulator
