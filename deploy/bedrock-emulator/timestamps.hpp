#pragma once

// ISO-8601 timestamps as Bedrock's restJson1 shapes carry them (spec/bedrock-batch.md §1), plus the two
// forms HTTP and SigV4 use.

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

// "Mon, 15 Jan 2024 12:00:00 GMT" (RFC 1123, as S3's Last-Modified).
std::string format_http_date(TimePoint time);

// X-Amz-Date "20240115T120000Z" (spec/aws-sigv4-s3.md §1.2).
std::optional<TimePoint> parse_amz_date(std::string_view text);

}  // namespace batchgate::bedrock_emulator
