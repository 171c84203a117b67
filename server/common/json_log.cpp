#include "server/common/json_log.hpp"

#include <spdlog/details/log_msg.h>

#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

namespace batchgate {
namespace {

// The first id with `prefix` followed by 24 base62 characters (server/common/ids.hpp), or "".
std::string_view find_id(std::string_view message, std::string_view prefix) {
  constexpr std::size_t kIdChars = 24;
  for (auto at = message.find(prefix); at != std::string_view::npos; at = message.find(prefix, at + 1)) {
    if (at > 0 && std::isalnum(static_cast<unsigned char>(message[at - 1]))) continue;
    std::size_t end = at + prefix.size();
    while (end < message.size() && std::isalnum(static_cast<unsigned char>(message[end]))) ++end;
    if (end - at - prefix.size() == kIdChars) return message.substr(at, end - at);
  }
  return {};
}

// "lifecycle: batch …" → "lifecycle": a leading word of lower-case letters and spaces ended by ": ".
std::string_view component(std::string_view message) {
  const auto colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 24) return {};
  for (char c : message.substr(0, colon))
    if (!std::islower(static_cast<unsigned char>(c)) && c != ' ') return {};
  return message.substr(0, colon);
}

std::string iso8601_ms(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", int(ms % 1000));
  return buf;
}

}  // namespace

std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view message) {
  nlohmann::json line = {{"time", iso8601_ms(time)}, {"level", level}, {"message", message}};
  if (auto c = component(message); !c.empty()) line["component"] = c;
  for (auto [field, prefix] :
       {std::pair{"request_id", "req_"}, std::pair{"batch_id", "batch_"}, std::pair{"file_id", "file-"}}) {
    if (auto id = find_id(message, prefix); !id.empty()) line[field] = id;
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto level = spdlog::level::to_string_view(msg.level);
  const std::string line = json_log_line(msg.time, std::string_view(level.data(), level.size()),
                                         std::string_view(msg.payload.data(), msg.payload.size()));
  dest.append(line.data(), line.data() + line.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace batchgate
