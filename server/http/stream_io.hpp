#pragma once
// The HTTP server's (server.cpp) reads and writes on a Beast stream: a request body chunk by chunk (the
// BodyReader streaming routes see), the draining of bodies nobody will use, and writing a response. Included
// by server.cpp only, so the Beast templates stay in one translation unit.

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/http/message.hpp"

namespace batchgate::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::use_awaitable;

constexpr std::size_t kStreamChunk = 64 << 10;
// How much of a body nobody will use is read before answering (an unknown route, a refused upload), so the
// client can finish sending and read the answer on a connection that may even be kept.
constexpr std::uint64_t kDrainCap = 4 << 20;

// Bounds the reads of a request. tcp_stream's own expiry closes the socket, which leaves no way to answer
// 408; this timer only cancels the pending read, so the server can still say why it gives up (RFC 9110
// §15.5.9). Its handler runs on the connection's strand, as the reads do; the shared flag tells a handler
// that was already queued when the deadline went away to leave the socket alone.
class ReadDeadline {
 public:
  explicit ReadDeadline(beast::tcp_stream& stream)
      : socket_(stream.socket()), timer_(stream.get_executor()), state_(std::make_shared<State>()) {}
  ~ReadDeadline() { state_->armed = false; }
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;

  // Starts (or restarts) the countdown for the reads that follow.
  void arm(std::chrono::steady_clock::duration after) {
    state_->armed = false;  // a handler of the previous countdown that is already queued does nothing
    state_ = std::make_shared<State>();
    timer_.expires_after(after);
    timer_.async_wait([state = state_, socket = &socket_](const beast::error_code& ec) {
      if (ec || !state->armed) return;
      state->fired = true;
      beast::error_code ignored;
      socket->cancel(ignored);
    });
  }
  void disarm() {
    state_->armed = false;
    timer_.cancel();
  }
  // A read that ended with operation_aborted because the deadline passed is reported as beast's timeout.
  beast::error_code translate(beast::error_code ec) const {
    if (state_->fired && ec == asio::error::operation_aborted) return beast::error::timeout;
    return ec;
  }
  bool fired() const { return state_->fired; }

 private:
  struct State {
    bool armed = true;
    bool fired = false;
  };
  asio::ip::tcp::socket& socket_;
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

inline ApiError read_error(const beast::error_code& ec, bool reading_body) {
  if (ec == beast::http::error::body_limit)
    return {ErrorKind::kPayloadTooLarge,
            "Request body is larger than this route accepts.",
            {},
            "payload_too_large"};
  if (ec == beast::http::error::header_limit)
    return {ErrorKind::kHeaderTooLarge, "Request headers are too large.", {}, "header_too_large"};
  if (ec == beast::error::timeout)
    return {ErrorKind::kRequestTimeout, "The request was not received in time.", {}, "request_timeout"};
  return {ErrorKind::kInvalidRequest,
          std::string(reading_body ? "Could not read the request body: " : "Malformed HTTP request: ") +
              ec.message(),
          {},
          "bad_request"};
}

class BeastBodyReader final : public BodyReader {
 public:
  // `send_continue`: the client sent "Expect: 100-continue"; the 100 goes out when the route first reads the
  // body — after it checked the key — so a refused upload is never sent.
  BeastBodyReader(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                  beast::http::request_parser<beast::http::buffer_body>& parser, std::chrono::seconds timeout,
                  bool send_continue)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        timeout_(timeout),
        deadline_(stream),
        chunk_(kStreamChunk),
        continue_pending_(send_continue) {
    // Beast reads max(512, free capacity) bytes at a time: with room for a whole chunk, each read takes up
    // to 64 KiB (the session gives the memory back once the request is done).
    buffer_.reserve(kStreamChunk);
  }

  awaitable<Chunk> next() override {
    if (continue_pending_) {
      continue_pending_ = false;
      beast::error_code ec;
      beast::http::response<beast::http::empty_body> cont{beast::http::status::continue_, 11};
      stream_.expires_after(timeout_);
      co_await beast::http::async_write(stream_, cont, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        failed_ = true;
        co_return Chunk{std::nullopt, read_error(ec, true)};
      }
    }
    while (!parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = chunk_.data();
      body.size = chunk_.size();
      beast::error_code ec;
      stream_.expires_never();
      deadline_.arm(timeout_);
      co_await beast::http::async_read(stream_, buffer_, parser_, asio::redirect_error(use_awaitable, ec));
      deadline_.disarm();
      ec = deadline_.translate(ec);
      if (ec == beast::http::error::need_buffer) ec = {};
      if (ec) {
        failed_ = true;
        over_limit_ = ec == beast::http::error::body_limit;
        timed_out_ = ec == beast::error::timeout;
        co_return Chunk{std::nullopt, read_error(ec, true)};
      }
      const std::size_t n = chunk_.size() - parser_.get().body().size;
      if (n > 0) co_return Chunk{std::string_view(chunk_.data(), n), std::nullopt};
    }
    co_return Chunk{};
  }

  bool complete() const { return !failed_ && parser_.is_done(); }
  // The route answered without reading: the client, still waiting for a 100, may never send the body.
  bool continue_pending() const { return continue_pending_; }
  bool failed() const { return failed_; }
  // The body went past the route's limit: the client is most likely still sending.
  bool over_limit() const { return over_limit_; }
  // The client stopped sending mid-body: it is answered 408, and may still send, so the server lingers.
  bool timed_out() const { return timed_out_; }

 private:
  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  beast::http::request_parser<beast::http::buffer_body>& parser_;
  std::chrono::seconds timeout_;
  ReadDeadline deadline_;
  std::vector<char> chunk_;
  bool continue_pending_;
  bool failed_ = false;
  bool over_limit_ = false;
  bool timed_out_ = false;
};

enum class Drained { kEnded, kCapped, kFailed };

// Reads and discards the rest of a request body, at most kDrainCap bytes (each read within read_timeout).
inline awaitable<Drained> drain_body(BeastBodyReader& reader) {
  std::uint64_t drained = 0;
  while (drained <= kDrainCap) {
    auto chunk = co_await reader.next();
    if (chunk.error) co_return reader.over_limit() ? Drained::kCapped : Drained::kFailed;
    if (!chunk.data) co_return Drained::kEnded;
    drained += chunk.data->size();
  }
  co_return Drained::kCapped;
}

inline bool expects_continue(const beast::http::request_parser<beast::http::empty_body>& header_parser) {
  return beast::iequals(header_parser.get()[beast::http::field::expect], "100-continue");
}

// Writes the response, streamed bodies chunk by chunk, each write within `timeout`.
inline awaitable<void> write_response(beast::tcp_stream& stream, Response& resp,
                                      const std::string& request_id, bool keep_alive,
                                      std::chrono::seconds timeout, beast::error_code& ec,
                                      std::uint64_t& bytes_out) {
  namespace http = beast::http;
  stream.expires_after(timeout);
  if (!resp.stream) {
    http::response<http::string_body> out{resp.status, 11};
    out.set(http::field::content_type, resp.content_type);
    out.set("x-request-id", request_id);
    for (const auto& [k, v] : resp.headers) out.set(k, v);
    out.keep_alive(keep_alive);
    bytes_out = resp.body.size();
    out.body() = std::move(resp.body);
    out.prepare_payload();
    co_await http::async_write(stream, out, asio::redirect_error(use_awaitable, ec));
    co_return;
  }
  http::response<http::buffer_body> out{resp.status, 11};
  out.set(http::field::content_type, resp.content_type);
  out.set("x-request-id", request_id);
  for (const auto& [k, v] : resp.headers) out.set(k, v);
  out.keep_alive(keep_alive);
  if (resp.stream_length)
    out.content_length(*resp.stream_length);
  else
    out.chunked(true);
  out.body().data = nullptr;
  out.body().more = true;
  http::response_serializer<http::buffer_body> sr{out};
  // The status line leaves with the first byte of the body: a source that fails before it (S3 unreachable)
  // still gets an honest error response instead of a 200 cut short.
  bool header_sent = false;
  auto send_header = [&]() -> awaitable<bool> {
    header_sent = true;
    stream.expires_after(timeout);
    co_await http::async_write_header(stream, sr, asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  };
  bool client_gone = false;
  ChunkWriter writer = [&](std::string_view chunk) -> awaitable<bool> {
    if (chunk.empty()) co_return true;
    if (!header_sent && !co_await send_header()) {
      client_gone = true;
      co_return false;
    }
    out.body().data = const_cast<char*>(chunk.data());
    out.body().size = chunk.size();
    out.body().more = true;
    stream.expires_after(timeout);
    co_await http::async_write(stream, sr, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      client_gone = true;
      co_return false;
    }
    bytes_out += chunk.size();
    co_return true;
  };
  bool complete = false;
  try {
    complete = co_await resp.stream(writer);
  } catch (const std::exception& e) {
    spdlog::error("request {}: streaming the response failed: {}", request_id, e.what());
  }
  if (client_gone) co_return;
  if (!complete && !header_sent) {
    Response failed = Response::error({ErrorKind::kUnavailable,
                                       "The content could not be read from storage; retry shortly.",
                                       {},
                                       "storage_unavailable"});
    failed.headers["Retry-After"] = "1";
    resp = std::move(failed);
    co_await write_response(stream, resp, request_id, keep_alive, timeout, ec, bytes_out);
    co_return;
  }
  if (!complete) {
    // The source failed mid-body: the only honest signal left is to cut the connection.
    ec = asio::error::connection_aborted;
    co_return;
  }
  if (!header_sent && !co_await send_header()) co_return;
  out.body().data = nullptr;
  out.body().size = 0;
  out.body().more = false;
  co_await http::async_write(stream, sr, asio::redirect_error(use_awaitable, ec));
}

}  // namespace batchgate::http::detail
