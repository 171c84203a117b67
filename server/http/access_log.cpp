#include "server/http/access_log.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace batchgate::http {
namespace {

// Query parameters whose values are secrets: never written to the access log.
bool is_secret_param(std::string_view name) {
  return name == "key" || name == "api_key" || name == "token" || name == "master_key";
}

std::string redacted_query(const std::map<std::string, std::string>& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    out += k + "=" + (is_secret_param(k) ? std::string("[redacted]") : v);
  }
  return out;
}

}  // namespace

void log_access(const Request& req, int status, std::uint64_t bytes_out,
                std::chrono::steady_clock::time_point started) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json line = {{"type", "access"},
                         {"request_id", req.request_id},
                         {"method", std::string(beast_http::to_string(req.method))},
                         {"path", req.path},
                         {"status", status},
                         {"bytes_out", bytes_out},
                         {"duration_ms", std::round(ms * 1000) / 1000},
                         {"remote", req.remote}};
  if (!req.query.empty()) line["query"] = redacted_query(req.query);
  if (auto ua = req.header(beast_http::field::user_agent); !ua.empty()) line["user_agent"] = std::string(ua);
  line["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  static const auto logger = [] {
    auto l = spdlog::get("access");
    return l ? l : spdlog::default_logger();
  }();
  logger->info("{}", line.dump());
}

}  // namespace batchgate::http
