#pragma once
// Operational log lines as JSON objects (batchgate_settings.log_format: json, or LiteLLM's json_logs): one
// object per line with time, level and message, and the ids the message names — request_id, batch_id,
// file_id — plus its component (the "lifecycle:" prefix), so a log pipeline can follow a request or a batch.

#include <spdlog/formatter.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace batchgate {

// The JSON line (no newline) for one message. Pure; invalid UTF-8 in the message is replaced, never thrown.
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view message);

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace batchgate
