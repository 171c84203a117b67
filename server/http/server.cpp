#include "server/http/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>

#include "server/common/ids.hpp"
#include "server/common/utf8.hpp"
#include "server/http/access_log.hpp"
#include "server/http/stream_io.hpp"

namespace batchgate::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using detail::BeastBodyReader;
using detail::drain_body;
using detail::Drained;
using detail::expects_continue;
using detail::kDrainCap;
using detail::kStreamChunk;
using detail::read_error;
using detail::ReadDeadline;
using detail::write_response;

// The edge's UTF-8 check of the head (server/common/utf8.hpp): the target as sent, the decoded query and
// every header value. The answer names the field, never quotes it.
std::optional<ApiError> refuse_non_utf8(const Request& req) {
  if (!valid_utf8(req.target))
    return ApiError::invalid("The request target is not valid UTF-8.", {}, "invalid_utf8");
  for (const auto& [name, value] : req.query) {
    if (!valid_utf8(name) || !valid_utf8(value))
      return ApiError::invalid("A query parameter is not valid UTF-8.", valid_utf8(name) ? name : "",
                               "invalid_utf8");
  }
  for (const auto& field : req.headers) {
    if (!valid_utf8(field.value()))
      return ApiError::invalid(
          "The value of the header '" + std::string(field.name_string()) + "' is not valid UTF-8.", {},
          "invalid_utf8");
  }
  return std::nullopt;
}

}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& ioc, const Router& router, ServerLimits limits)
      : ioc(ioc), router(router), limits(limits), acceptor(asio::make_strand(ioc)) {}

  using HeaderParser = beast::http::request_parser<beast::http::empty_body>;
  // What serving a request decided: the response, whether the connection may carry another request, and
  // whether to linger before closing (the client may still be sending a body nobody read).
  struct Outcome {
    Response resp;
    bool keep_alive = false;
    bool linger = false;
  };

  asio::io_context& ioc;
  const Router& router;
  ServerLimits limits;
  tcp::acceptor acceptor;
  RandomIdGenerator ids;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::uint64_t> open_connections{0};
  std::uint64_t max_connections = 0;  // resolved at listen()

  // Connections waiting for their next request; closed at shutdown.
  struct Conn {
    beast::tcp_stream* stream;
    std::atomic<bool> idle{true};
    std::atomic<bool> evicted{false};
    std::atomic<std::int64_t> idle_since{0};  // steady_clock ticks: the oldest idle one is closed first
  };
  std::mutex conns_mutex;
  std::set<std::shared_ptr<Conn>> conns;

  awaitable<void> accept_loop();
  awaitable<void> refuse_connection(tcp::socket socket);
  bool evict_idle();
  awaitable<void> session(tcp::socket socket);
  awaitable<bool> handle_one(beast::tcp_stream& stream, beast::flat_buffer& buffer, Conn& conn, bool first);
  awaitable<Outcome> dispatch(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                              HeaderParser& header_parser, Request& req);
  awaitable<void> drain_unread(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                               HeaderParser& header_parser, Outcome& out);
  awaitable<Outcome> run_streaming(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   HeaderParser& header_parser, const Route& route, Request& req);
  awaitable<Outcome> run_buffered(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                  HeaderParser& header_parser, const Route& route, Request& req);
  awaitable<void> linger(beast::tcp_stream& stream);
};

// Accepts until shutdown. Out of file descriptors (or memory), accept fails at once for as long as the
// condition lasts: the loop then pauses (10 ms doubling to 1 s) instead of spinning, and says so once per
// 10 s. Past max_connections a connection is answered 503 and closed (the reserve of descriptors pays for
// it).
awaitable<void> HttpServer::State::accept_loop() {
  auto self = shared_from_this();
  asio::steady_timer pause(acceptor.get_executor());
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point last_log{};
  std::uint64_t unlogged = 0;
  auto log_limited = [&](const std::string& message) {
    ++unlogged;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log < std::chrono::seconds(10)) return;
    spdlog::warn("{}{}", message,
                 unlogged > 1 ? " (" + std::to_string(unlogged) + " such events in the last 10 s)" : "");
    last_log = now;
    unlogged = 0;
  };
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::make_strand(ioc), asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      log_limited("accept failed: " + ec.message() + " (" + std::to_string(open_connections.load()) +
                  " connections open); pausing accepts");
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
      pause.expires_after(backoff);
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    auto ex = socket.get_executor();
    if (open_connections.load() >= max_connections && evict_idle()) {
      // An idle connection (no request, or between requests) was told to close: this one takes its place.
      log_limited("accept: " + std::to_string(open_connections.load()) +
                  " connections open (max_connections); closing an idle one");
    } else if (open_connections.load() >= max_connections) {
      log_limited("accept: " + std::to_string(open_connections.load()) +
                  " connections open (max_connections), none idle; answering 503");
      asio::co_spawn(ex, self->refuse_connection(std::move(socket)), asio::detached);
      continue;
    }
    ++open_connections;
    asio::co_spawn(ex, self->session(std::move(socket)), asio::detached);
  }
}

// Tells one connection that waits for a request (its first, or its next) to close; false when every
// connection is busy with a request.
bool HttpServer::State::evict_idle() {
  std::lock_guard lock(conns_mutex);
  std::shared_ptr<Conn> oldest;
  for (const auto& conn : conns) {
    if (!conn->idle || conn->evicted) continue;
    if (!oldest || conn->idle_since.load() < oldest->idle_since.load()) oldest = conn;
  }
  if (!oldest) return false;
  oldest->evicted = true;
  asio::post(oldest->stream->get_executor(), [self = shared_from_this(), oldest] {
    std::lock_guard inner(self->conns_mutex);
    if (self->conns.contains(oldest) && oldest->idle) oldest->stream->cancel();
  });
  return true;
}

awaitable<void> HttpServer::State::refuse_connection(tcp::socket socket) {
  static const std::string body = error_body(
      {ErrorKind::kUnavailable, "Too many open connections; retry shortly.", {}, "too_many_connections"});
  static const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(5));
  beast::error_code ec;
  co_await asio::async_write(stream, asio::buffer(answer), asio::redirect_error(use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().close(ec);
}

awaitable<void> HttpServer::State::session(tcp::socket socket) {
  auto self = shared_from_this();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  auto conn = std::make_shared<Conn>();
  conn->stream = &stream;
  {
    std::lock_guard lock(conns_mutex);
    conns.insert(conn);
  }
  try {
    for (bool first = true; !stopping; first = false) {
      bool keep_alive = co_await handle_one(stream, buffer, *conn, first);
      if (!keep_alive) break;
      // A body's read buffer is not kept by a connection waiting idle for its next request.
      if (buffer.size() == 0 && buffer.capacity() > 4096) buffer.shrink_to_fit();
    }
  } catch (const std::exception& e) {
    spdlog::warn("connection ended: {}", e.what());
  }
  {
    std::lock_guard lock(conns_mutex);
    conns.erase(conn);
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().close(ec);
  --open_connections;
}

// Serves one request; returns whether the connection may carry another.
awaitable<bool> HttpServer::State::handle_one(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                              Conn& conn, bool first) {
  namespace http = beast::http;
  HeaderParser header_parser;
  header_parser.header_limit(std::uint32_t(limits.header_limit));
  header_parser.body_limit(boost::none);

  // Idle: waiting for the first byte of the next request. Then the whole header within read_timeout. A new
  // connection has read_timeout for its first header from the start: an idle keep-alive period is earned by
  // a request.
  beast::error_code ec;
  ReadDeadline deadline(stream);
  stream.expires_never();
  deadline.arm(first || buffer.size() > 0 ? limits.read_timeout : limits.idle_timeout);
  conn.idle_since = std::chrono::steady_clock::now().time_since_epoch().count();
  conn.idle = true;
  co_await http::async_read_header(stream, buffer, header_parser, asio::redirect_error(use_awaitable, ec));
  conn.idle = false;
  deadline.disarm();
  ec = deadline.translate(ec);
  if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == asio::error::eof ||
      ec == asio::error::connection_reset)
    co_return false;
  // Nothing of a request arrived: an idle keep-alive connection (or a silent new one) just closes. Part of a
  // header did: the client is told 408 before the close.
  if (ec == beast::error::timeout && buffer.size() == 0) co_return false;

  const auto started = std::chrono::steady_clock::now();
  ++in_flight;
  struct InFlight {
    std::atomic<std::size_t>& n;
    ~InFlight() { --n; }
  } guard{in_flight};

  Request req;
  req.request_id = ids.request_id();
  {
    beast::error_code rec;
    auto ep = stream.socket().remote_endpoint(rec);
    if (!rec) req.remote = ep.address().to_string();
  }
  std::uint64_t bytes_out = 0;
  if (ec) {
    Response resp = Response::error(read_error(ec, false));
    co_await write_response(stream, resp, req.request_id, false, limits.read_timeout, ec, bytes_out);
    log_access(req, int(resp.status), bytes_out, started);
    co_return false;
  }

  Outcome out = co_await dispatch(stream, buffer, header_parser, req);
  if (stopping) out.keep_alive = false;
  if (!out.resp.log_detail.empty()) spdlog::error("request {}: {}", req.request_id, out.resp.log_detail);
  co_await write_response(stream, out.resp, req.request_id, out.keep_alive, limits.read_timeout, ec,
                          bytes_out);
  log_access(req, int(out.resp.status), bytes_out, started);
  if (out.linger && !ec) co_await linger(stream);
  co_return out.keep_alive && !ec;
}

// Fills the request from its header, finds the route and runs it.
awaitable<HttpServer::State::Outcome> HttpServer::State::dispatch(beast::tcp_stream& stream,
                                                                  beast::flat_buffer& buffer,
                                                                  HeaderParser& header_parser, Request& req) {
  namespace http = beast::http;
  auto& header = header_parser.get();
  req.method = header.method();
  req.target = std::string(header.target());
  const auto qpos = req.target.find('?');
  req.path = req.target.substr(0, qpos);
  if (qpos != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(qpos + 1));
  req.headers = header.base();

  Outcome out;
  // One UTF-8 policy at the edge: what a route may store or echo is UTF-8, or the request ends here.
  if (auto refused = refuse_non_utf8(req)) {
    out.resp = Response::error(std::move(*refused));
    co_await drain_unread(stream, buffer, header_parser, out);
    co_return out;
  }
  auto match = router.match(req.method, req.path);
  const std::string method(header.method_string());
  if (!match.route) {
    out.resp = Response::error(match.path_known
                                   ? ApiError{ErrorKind::kMethodNotAllowed,
                                              "Method " + method + " is not allowed on " + req.path + ".",
                                              {},
                                              "method_not_allowed"}
                                   : ApiError{ErrorKind::kNotFound,
                                              "Unknown route: " + method + " " + req.path + ".",
                                              {},
                                              "unknown_route"});
    co_await drain_unread(stream, buffer, header_parser, out);
    co_return out;
  }
  req.params = std::move(match.params);
  for (const auto& [name, value] : req.params) {
    if (valid_utf8(value)) continue;
    out.resp = Response::error(
        ApiError::invalid("The path parameter '" + name + "' is not valid UTF-8.", name, "invalid_utf8"));
    co_await drain_unread(stream, buffer, header_parser, out);
    co_return out;
  }
  const Route& route = *match.route;
  if (auto cl = header_parser.content_length(); cl && *cl > route.body_limit) {
    out.resp =
        Response::error({ErrorKind::kPayloadTooLarge,
                         "Request body of " + std::to_string(*cl) + " bytes exceeds this route's limit of " +
                             std::to_string(route.body_limit) + " bytes.",
                         {},
                         "payload_too_large"});
    co_await drain_unread(stream, buffer, header_parser, out);
    co_return out;
  }
  if (expects_continue(header_parser) && !route.streaming) {
    beast::error_code ec;
    http::response<http::empty_body> cont{http::status::continue_, 11};
    co_await http::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
  }
  if (route.streaming) co_return co_await run_streaming(stream, buffer, header_parser, route, req);
  co_return co_await run_buffered(stream, buffer, header_parser, route, req);
}

// An answer decided before the body was read (unknown route, 405, 413 by Content-Length). Closing on an
// unread body makes the kernel reset the connection, and the reset can destroy the answer before the client
// reads it (the OpenAI SDK then reports "Connection error"): so read and discard up to kDrainCap of the body
// first, and past that answer and linger. Sets out's keep_alive and linger.
awaitable<void> HttpServer::State::drain_unread(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                HeaderParser& header_parser, Outcome& out) {
  const bool keep_alive = header_parser.get().keep_alive();
  const bool has_body = header_parser.content_length().value_or(0) > 0 || header_parser.chunked();
  out.keep_alive = keep_alive && !has_body;
  out.linger = has_body;
  if (!has_body) co_return;
  // No 100 Continue was sent: such a client sends its body only if it gives up waiting, so do not wait for
  // it.
  if (expects_continue(header_parser)) co_return;
  if (auto cl = header_parser.content_length(); cl && *cl > kDrainCap) co_return;
  beast::http::request_parser<beast::http::buffer_body> parser(std::move(header_parser));
  parser.body_limit(boost::none);
  BeastBodyReader reader(stream, buffer, parser, limits.read_timeout, /*send_continue=*/false);
  const Drained drained = co_await drain_body(reader);
  out.keep_alive = keep_alive && drained == Drained::kEnded;
  out.linger = drained == Drained::kCapped;
}

// Routes that read their body themselves (uploads). A handler may answer before the end of the body (a 401, a
// bad form field): the rest is drained like an unread body.
awaitable<HttpServer::State::Outcome> HttpServer::State::run_streaming(beast::tcp_stream& stream,
                                                                       beast::flat_buffer& buffer,
                                                                       HeaderParser& header_parser,
                                                                       const Route& route, Request& req) {
  const bool keep_alive = header_parser.get().keep_alive();
  const bool send_continue = expects_continue(header_parser);
  beast::http::request_parser<beast::http::buffer_body> parser(std::move(header_parser));
  parser.body_limit(route.body_limit);
  BeastBodyReader reader(stream, buffer, parser, limits.read_timeout, send_continue);
  req.body_reader = &reader;
  Outcome out;
  out.resp = co_await route.handler(req);
  out.keep_alive = keep_alive;
  if (reader.complete()) co_return out;
  if (reader.continue_pending()) {
    // Answered before any 100: the body may or may not follow. Close after lingering, never read it.
    out.keep_alive = false;
    out.linger = true;
    co_return out;
  }
  Drained drained = Drained::kFailed;
  if (!reader.failed()) drained = co_await drain_body(reader);
  out.keep_alive = keep_alive && drained == Drained::kEnded;
  out.linger = drained == Drained::kCapped || reader.over_limit() || reader.timed_out();
  co_return out;
}

awaitable<HttpServer::State::Outcome> HttpServer::State::run_buffered(beast::tcp_stream& stream,
                                                                      beast::flat_buffer& buffer,
                                                                      HeaderParser& header_parser,
                                                                      const Route& route, Request& req) {
  const bool keep_alive = header_parser.get().keep_alive();
  beast::http::request_parser<beast::http::string_body> parser(std::move(header_parser));
  parser.body_limit(route.body_limit);
  beast::error_code ec;
  ReadDeadline deadline(stream);
  stream.expires_never();
  deadline.arm(limits.read_timeout);
  co_await beast::http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  deadline.disarm();
  ec = deadline.translate(ec);
  Outcome out;
  if (ec) {
    out.resp = Response::error(read_error(ec, true));
    out.linger = ec == beast::http::error::body_limit || ec == beast::error::timeout;
    co_return out;
  }
  req.body = std::move(parser.get().body());
  out.keep_alive = keep_alive;
  try {
    out.resp = co_await route.handler(req);
  } catch (const std::exception& e) {
    spdlog::error("request {} failed: {}", req.request_id, e.what());
    out.resp = Response::error(ApiError::internal("Internal error; request id " + req.request_id + "."));
  }
  co_return out;
}

// After answering a client that may still be sending: say we are done (FIN), then read and discard until the
// client closes too, for at most read_timeout, so the close that follows never resets the connection.
awaitable<void> HttpServer::State::linger(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  std::vector<char> sink(kStreamChunk);
  stream.expires_after(limits.read_timeout);  // for every read below together
  for (;;) {
    co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

HttpServer::HttpServer(asio::io_context& ioc, const Router& router, ServerLimits limits)
    : state_(std::make_shared<State>(ioc, router, limits)) {}

HttpServer::~HttpServer() {
  state_->stopping = true;
  beast::error_code ec;
  state_->acceptor.close(ec);
}

boost::system::result<std::uint16_t> HttpServer::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return ec;
  tcp::endpoint ep(address, port);
  auto& acc = state_->acceptor;
  acc.open(ep.protocol(), ec);
  if (ec) return ec;
  acc.set_option(asio::socket_base::reuse_address(true), ec);
  acc.bind(ep, ec);
  if (ec) return ec;
  acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  state_->max_connections = state_->limits.max_connections;
  if (state_->max_connections == 0) {
    // As many as the descriptor limit allows (the soft limit raised to the hard one), minus a reserve.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &files);
      ::getrlimit(RLIMIT_NOFILE, &files);
    }
    const std::uint64_t soft = files.rlim_cur == RLIM_INFINITY ? 1u << 20 : std::uint64_t(files.rlim_cur);
    state_->max_connections = soft > 2 * kReservedDescriptors ? soft - kReservedDescriptors : soft / 2;
  }
  spdlog::info("http: at most {} connections at once", state_->max_connections);
  const auto bound = acc.local_endpoint(ec).port();
  asio::co_spawn(acc.get_executor(), state_->accept_loop(), asio::detached);
  return bound;
}

std::size_t HttpServer::in_flight() const {
  return state_->in_flight;
}

void HttpServer::shutdown(std::chrono::seconds grace, std::function<void()> drained) {
  auto state = state_;
  state->stopping = true;
  asio::post(state->acceptor.get_executor(), [state] {
    beast::error_code ec;
    state->acceptor.close(ec);
  });
  {
    std::lock_guard lock(state->conns_mutex);
    for (const auto& conn : state->conns) {
      if (!conn->idle) continue;
      asio::post(conn->stream->get_executor(), [state, conn] {
        std::lock_guard inner(state->conns_mutex);
        if (state->conns.contains(conn) && conn->idle) conn->stream->cancel();
      });
    }
  }
  // Wait until nothing is in flight or the grace period ends.
  asio::co_spawn(
      state->ioc,
      [state, grace, drained = std::move(drained)]() -> awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        const auto deadline = std::chrono::steady_clock::now() + grace;
        while (state->in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
          timer.expires_after(std::chrono::milliseconds(20));
          beast::error_code ec;
          co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        drained();
      },
      asio::detached);
}

}  // namespace batchgate::http
