#pragma once
// What handlers see and return. Handlers are coroutines on the I/O threads: they must hand blocking work
// (SQLite, files) to the blocking pool (see blocking.hpp).

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "server/common/api_error.hpp"

namespace batchgate::http {

namespace beast_http = boost::beast::http;

// Reads a request body chunk by chunk, for routes that stream (uploads). Each chunk is valid until the next
// call.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // An empty optional at the end of the body; an ApiError when the client is too slow, too big or gone.
  struct Chunk {
    std::optional<std::string_view> data;
    std::optional<ApiError> error;
  };
  virtual boost::asio::awaitable<Chunk> next() = 0;
};

struct Request {
  beast_http::verb method = beast_http::verb::get;
  std::string target;  // as received, with the query
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;  // from the route pattern
  beast_http::fields headers;
  std::string body;                   // non-streaming routes
  BodyReader* body_reader = nullptr;  // streaming routes
  std::string request_id;
  std::string remote;

  std::string_view header(beast_http::field f) const {
    auto it = headers.find(f);
    return it == headers.end() ? std::string_view() : std::string_view(it->value());
  }
  std::string_view header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->value());
  }
};

// Writes one chunk of a streamed response body; false when the client is gone.
using ChunkWriter = std::function<boost::asio::awaitable<bool>(std::string_view chunk)>;
// Produces a streamed body by calling the writer for each chunk; returns false when the source failed part
// way (the connection is then cut, the only honest signal once the status line has been sent). The writer is
// taken by reference: it outlives the call, and g++ 12 destroys by-value parameters of coroutine lambdas
// twice.
using StreamBody = std::function<boost::asio::awaitable<bool>(const ChunkWriter& write)>;

struct Response {
  beast_http::status status = beast_http::status::ok;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  StreamBody stream;                           // set for streamed bodies
  std::optional<std::uint64_t> stream_length;  // Content-Length of a streamed body when known
  std::string log_detail;                      // logged with the request id, never sent (ApiError::detail)

  static Response json(std::string body, beast_http::status status = beast_http::status::ok) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static Response error(const ApiError& e) {
    Response r;
    r.status = beast_http::status(http_status(e.kind));
    r.body = error_body(e);
    r.log_detail = e.detail;
    return r;
  }
};

}  // namespace batchgate::http
