#pragma once
// A plain blocking HTTP/1.1 client for integration tests (Beast, synchronous).

#include <cstdint>
#include <map>
#include <string>

namespace batchgate::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::map<std::string, std::string> headers;
  bool chunked = false;  // send the body with Transfer-Encoding: chunked
};

HttpResult http_call(std::uint16_t port, const HttpCall& call);

// Two requests on one connection; returns both responses (keep-alive check).
std::pair<HttpResult, HttpResult> http_call_twice(std::uint16_t port, const HttpCall& first, const HttpCall& second);

// Connects, sends `raw`, then reads until the server closes; returns what was read. Gives up after `wait_ms`.
struct RawResult {
  std::string received;
  bool closed_by_server = false;
  long elapsed_ms = 0;
};
RawResult raw_exchange(std::uint16_t port, const std::string& raw, long wait_ms);

}  // namespace batchgate::testing
