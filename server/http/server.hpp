#pragma once
// The HTTP server: Beast with C++20 coroutines on the io_context's threads; keep-alive, chunked request
// bodies, per-route body limits, header limit, read/idle timeouts, request ids, one JSON access-log line per
// request, graceful shutdown.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/http/router.hpp"

namespace batchgate::http {

struct ServerLimits {
  std::uint64_t header_limit = 16 << 10;
  std::chrono::seconds read_timeout{30};  // a request's header and body must arrive within this
  std::chrono::seconds idle_timeout{60};  // a keep-alive connection may wait this long for the next request
  // Open connections at most (one more is answered 503 + Retry-After and closed). 0: the soft file-descriptor
  // limit (raised to the hard limit at listen) minus kReservedDescriptors for outgoing connections, the
  // database, the spool and logs.
  std::uint64_t max_connections = 0;
};

constexpr std::uint64_t kReservedDescriptors = 128;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, const Router& router, ServerLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;

  // Binds and starts accepting. Returns the bound port (useful with port 0).
  boost::system::result<std::uint16_t> listen(const std::string& host, std::uint16_t port);

  // Stops accepting and closes idle connections; requests in flight finish (their connections close after the
  // response). `drained` runs once no request is in flight, or when `grace` has passed.
  void shutdown(std::chrono::seconds grace, std::function<void()> drained);

  std::size_t in_flight() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace batchgate::http
