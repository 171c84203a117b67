#include "server/http/access_log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <mutex>
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

// Formatted lines wait in `pending_` and leave in one write(2) per kBatchBytes or on flush.
class BatchedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BatchedFdSink(int fd) : fd_(fd) { pending_.reserve(kBatchBytes + 4096); }
  ~BatchedFdSink() override {
    std::lock_guard lock(mutex_);
    write_pending();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    pending_.append(formatted.data(), formatted.size());
    if (pending_.size() >= kBatchBytes) write_pending();
  }
  void flush_() override { write_pending(); }

 private:
  static constexpr std::size_t kBatchBytes = 64 << 10;

  void write_pending() {
    std::size_t done = 0;
    while (done < pending_.size()) {
      const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a closed or broken stdout: the lines are dropped, the server goes on
      done += std::size_t(n);
    }
    pending_.clear();
  }

  int fd_;
  std::string pending_;
};

}  // namespace

void install_access_logger(int fd) {
  auto logger = std::make_shared<spdlog::logger>("access", std::make_shared<BatchedFdSink>(fd));
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
}

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
  // Header values reach this line before any check (an early 4xx): bytes that are not UTF-8 are replaced.
  logger->info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace batchgate::http
