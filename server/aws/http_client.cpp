#include "server/aws/http_client.hpp"

#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <vector>

#include "server/aws/aws_error.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunkBytes = 64 * 1024;
// Requests are sent from a span over the caller's body (see send()).
using Request = http::request<http::span_body<const char>>;

class HttpErrorCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "batchgate.http"; }
  std::string message(int value) const override {
    switch (static_cast<HttpErrc>(value)) {
      case HttpErrc::kInvalidUrl:
        return "invalid endpoint URL";
      case HttpErrc::kInvalidMethod:
        return "invalid HTTP method";
      case HttpErrc::kBodyTooLarge:
        return "response body exceeds the client's limit";
      case HttpErrc::kSinkAborted:
        return "response body consumer stopped the transfer";
      case HttpErrc::kCredentials:
        return "could not obtain AWS credentials";
      case HttpErrc::kInternal:
        return "internal error in the HTTP client";
    }
    return "unknown HTTP client error";
  }
};

struct Connection {
  std::string key;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // An idle HTTP/1.1 connection has nothing to read: readable means the server closed it (FIN, RST, a TLS
  // close_notify) or sent bytes nobody asked for. Either way it cannot carry the next request.
  bool closed_by_peer() {
    pollfd fd{lowest().socket().native_handle(), POLLIN, 0};
    return ::poll(&fd, 1, 0) != 0;
  }
};

struct Exchange {
  Result<HttpResponse> result{HttpErrc::kInternal};
  bool got_header = false;
  bool keep_alive = false;
};

std::string pool_key(const Url& url) {
  return url.scheme + "://" + url.host + ":" + std::to_string(url.port);
}

bool is_success(int status) {
  return status >= 200 && status < 300;
}

// Where a streamed 2xx response goes (both members may be empty).
struct StreamTarget {
  const BodySink* body = nullptr;
  const HeadObserver* head = nullptr;
};

// Writes the request and reads the response; 2xx bodies go to `target.body` when there is one.
template <typename Stream>
asio::awaitable<Exchange> exchange_on(Stream& stream, Connection& connection, Request& req,
                                      const HttpClientOptions& options, StreamTarget target) {
  const BodySink* sink = target.body;
  Exchange out;
  // The deadline is renewed on every piece written: io_timeout bounds a stall, not the whole upload.
  http::request_serializer<http::span_body<const char>> serializer{req};
  while (!serializer.is_done()) {
    connection.lowest().expires_after(options.io_timeout);
    auto [write_ec, written] = co_await http::async_write_some(stream, serializer, kTuple);
    if (write_ec) {
      out.result = write_ec;
      co_return out;
    }
  }
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (req.method() == http::verb::head) parser.skip(true);
  connection.lowest().expires_after(options.io_timeout);
  auto [header_ec, header_bytes] =
      co_await http::async_read_header(stream, connection.buffer, parser, kTuple);
  if (header_ec) {
    out.result = header_ec;
    co_return out;
  }
  out.got_header = true;
  HttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  const bool to_sink = sink != nullptr && *sink && is_success(response.status);
  if (to_sink && target.head != nullptr && *target.head) (*target.head)(response);
  std::vector<char> chunk(kChunkBytes);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    connection.lowest().expires_after(options.io_timeout);
    auto [read_ec, read_bytes] = co_await http::async_read(stream, connection.buffer, parser, kTuple);
    if (read_ec == http::error::need_buffer) read_ec = {};
    if (read_ec) {
      out.result = read_ec;
      co_return out;
    }
    std::size_t got = chunk.size() - parser.get().body().size;
    if (got == 0) continue;
    std::string_view piece(chunk.data(), got);
    if (to_sink) {
      if (!co_await (*sink)(piece)) {
        out.result = HttpErrc::kSinkAborted;
        co_return out;
      }
      continue;
    }
    if (response.body.size() + got > options.max_body_bytes) {
      out.result = HttpErrc::kBodyTooLarge;
      co_return out;
    }
    response.body.append(piece);
  }
  out.keep_alive = parser.get().keep_alive();
  out.result = std::move(response);
  co_return out;
}

}  // namespace

const boost::system::error_category& http_error_category() {
  static const HttpErrorCategory category;
  return category;
}

boost::system::error_code make_error_code(HttpErrc e) {
  return {static_cast<int>(e), http_error_category()};
}

struct HttpClient::Impl {
  asio::any_io_executor executor;
  HttpClientOptions options;
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  std::mutex mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  Impl(asio::any_io_executor ex, HttpClientOptions opts) : executor(std::move(ex)), options(std::move(opts)) {
    error_code ignored;
    tls_context.set_default_verify_paths(ignored);
    if (!options.ca_file.empty()) tls_context.load_verify_file(options.ca_file, ignored);
    tls_context.set_verify_mode(asio::ssl::verify_peer);
  }

  // The most recently used idle connection that is still usable; older or closed ones are dropped.
  std::unique_ptr<Connection> take_idle(const std::string& key) {
    std::vector<std::unique_ptr<Connection>> dropped;  // closed outside the lock
    std::lock_guard lock(mutex);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    const auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
      std::unique_ptr<Connection> connection = std::move(it->second.back());
      it->second.pop_back();
      if (now - connection->idle_since <= options.max_idle_time && !connection->closed_by_peer())
        return connection;
      dropped.push_back(std::move(connection));
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<Connection> connection) {
    connection->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex);
    auto& list = idle[connection->key];
    if (list.size() < options.max_idle_per_host) list.push_back(std::move(connection));
  }

  // After a pooled connection turned out stale, the others to that host are at least as old: drop them.
  void drop_idle(const std::string& key) {
    std::vector<std::unique_ptr<Connection>> dropped;
    std::lock_guard lock(mutex);
    if (auto it = idle.find(key); it != idle.end()) dropped.swap(it->second);
  }

  asio::awaitable<Result<tcp::resolver::results_type>> resolve(const Url& url) {
    // The resolver has no deadline of its own: a timer cancels it. Shared ownership because the timer
    // handler may run after this coroutine has returned.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    asio::steady_timer timer(executor, options.connect_timeout);
    timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](error_code ec) {
      if (auto r = weak.lock(); r && !ec) r->cancel();
    });
    auto [ec, results] = co_await resolver->async_resolve(url.host, std::to_string(url.port), kTuple);
    timer.cancel();
    if (ec == asio::error::operation_aborted) co_return error_code(asio::error::timed_out);
    if (ec) co_return ec;
    co_return results;
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> connect(const Url& url) {
    auto endpoints = co_await resolve(url);
    if (!endpoints) co_return endpoints.error();
    auto connection = std::make_unique<Connection>();
    connection->key = pool_key(url);
    // Beast reads max(512, free capacity) bytes at a time: a reserved buffer makes every read up to 64 KiB.
    connection->buffer.reserve(kChunkBytes);
    if (url.is_tls()) {
      connection->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls_context);
    } else {
      connection->plain = std::make_unique<beast::tcp_stream>(executor);
    }
    connection->lowest().expires_after(options.connect_timeout);
    auto [ec, endpoint] = co_await connection->lowest().async_connect(*endpoints, kTuple);
    if (ec) co_return ec;
    if (!url.is_tls()) co_return connection;

    // SNI (host names only, RFC 6066 §3) and host name verification (RFC 6125) on top of the chain check.
    error_code not_an_address;
    asio::ip::make_address(url.host, not_an_address);
    if (not_an_address && !SSL_set_tlsext_host_name(connection->tls->native_handle(), url.host.c_str())) {
      co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    }
    connection->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    connection->lowest().expires_after(options.connect_timeout);
    auto [handshake_ec] = co_await connection->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
    if (handshake_ec) co_return handshake_ec;
    co_return connection;
  }

  asio::awaitable<Exchange> exchange(Connection& connection, Request& req, StreamTarget target) {
    if (connection.tls) co_return co_await exchange_on(*connection.tls, connection, req, options, target);
    co_return co_await exchange_on(*connection.plain, connection, req, options, target);
  }

  asio::awaitable<Result<HttpResponse>> send(const Url& url, HttpRequest request, StreamTarget target) {
    http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) co_return HttpErrc::kInvalidMethod;
    Request req{verb, request.target(), 11};
    for (const Header& header : request.headers) req.insert(header.name, header.value);
    if (!find_header(request.headers, "Host")) req.set(http::field::host, url.host_header());
    req.keep_alive(true);
    // The body is sent from where it lies (`request` lives until the exchange ends): no copy of a part.
    const std::string_view payload = request.payload();
    const bool has_body = !payload.empty() || verb == http::verb::put || verb == http::verb::post;
    req.body() = beast::span<const char>(payload.data(), payload.size());
    if (has_body) req.content_length(payload.size());

    const std::string key = pool_key(url);
    // A pooled connection may have been closed by the server while idle (take_idle catches most of those
    // before use). One that still fails before any response byte is replaced: the pool for this host is
    // emptied and the request goes out again on a fresh connection, whose failure is then final.
    for (bool fresh_only = false;; fresh_only = true) {
      std::unique_ptr<Connection> connection = fresh_only ? nullptr : take_idle(key);
      const bool reused = connection != nullptr;
      if (!connection) {
        auto fresh = co_await connect(url);
        if (!fresh) co_return fresh.error();
        connection = std::move(*fresh);
      }
      Exchange out = co_await exchange(*connection, req, target);
      if (out.result && out.keep_alive) put_idle(std::move(connection));
      if (out.result || !reused || out.got_header) co_return std::move(out.result);
      drop_idle(key);
    }
  }
};

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() = default;

const HttpClientOptions& HttpClient::options() const {
  return impl_->options;
}

asio::any_io_executor HttpClient::executor() const {
  return impl_->executor;
}

asio::awaitable<Result<HttpResponse>> HttpClient::send(Url endpoint, HttpRequest request) {
  try {
    co_return co_await impl_->send(endpoint, std::move(request), StreamTarget{});
  } catch (const std::exception&) {
    co_return HttpErrc::kInternal;
  }
}

asio::awaitable<Result<HttpResponse>> HttpClient::send_streaming(Url endpoint, HttpRequest request,
                                                                 BodySink sink, HeadObserver on_head) {
  try {
    co_return co_await impl_->send(endpoint, std::move(request), StreamTarget{&sink, &on_head});
  } catch (const std::exception&) {
    co_return HttpErrc::kInternal;
  }
}

namespace {

bool is_final_client_error(const error_code& ec) {
  return ec.category() == http_error_category();
}

}  // namespace

asio::awaitable<Result<HttpResponse>> send_with_retry(HttpClient& client, Url endpoint,
                                                      RequestFactory make_request, RetryPolicy policy,
                                                      BodySink sink, HeadObserver on_head) {
  for (int attempt = 1;; ++attempt) {
    Result<HttpRequest> request = co_await make_request();
    if (!request) co_return request.error();
    bool delivered = false;
    Result<HttpResponse> result{HttpErrc::kInternal};
    if (sink) {
      BodySink counting = [&delivered, &sink](std::string_view chunk) -> asio::awaitable<bool> {
        delivered = true;
        co_return co_await sink(chunk);
      };
      result = co_await client.send_streaming(endpoint, std::move(*request), counting, on_head);
    } else {
      result = co_await client.send(endpoint, std::move(*request));
    }
    RetryReason reason = RetryReason::kNone;
    if (!result) {
      if (is_final_client_error(result.error()) || delivered) co_return result;
      reason = classify_connection_error();
    } else {
      reason = classify_response(result->status, parse_aws_error(*result).code);
    }
    if (reason == RetryReason::kNone || attempt >= policy.max_attempts) co_return result;
    asio::steady_timer timer(client.executor(), backoff_delay(policy, attempt));
    co_await timer.async_wait(kTuple);
  }
}

CredentialsProvider static_credentials(Credentials credentials) {
  return [credentials = std::move(credentials)]() -> asio::awaitable<Result<Credentials>> {
    co_return credentials;
  };
}

CredentialsProvider credentials_from(std::function<Credentials()> fetch) {
  return [fetch = std::move(fetch)]() -> asio::awaitable<Result<Credentials>> { co_return fetch(); };
}

asio::awaitable<Result<HttpResponse>> send_signed(HttpClient& client, Url endpoint, HttpRequest request,
                                                  AwsSigning signing, RetryPolicy policy, BodySink sink,
                                                  HeadObserver on_head) {
  if (!signing.credentials) co_return HttpErrc::kCredentials;
  // The body stays here for every attempt (each signs and sends a copy of the head only) and is hashed once;
  // every attempt is re-signed with its own time.
  std::string body = std::move(request.body);
  request.body.clear();
  if (!request.borrowed_body) request.borrowed_body = std::string_view(body);
  std::string body_sha256 = sha256_hex(request.payload());
  std::string host = endpoint.host_header();
  RequestFactory factory = [&]() -> asio::awaitable<Result<HttpRequest>> {
    Result<Credentials> credentials = co_await signing.credentials();
    if (!credentials) co_return credentials.error();
    auto now = signing.clock ? signing.clock() : std::chrono::system_clock::now();
    co_return sign_request(request, host, *credentials, signing.region, signing.service, now, body_sha256,
                           signing.query_keeps_slash);
  };
  co_return co_await send_with_retry(client, std::move(endpoint), std::move(factory), std::move(policy),
                                     std::move(sink), std::move(on_head));
}

}  // namespace batchgate::aws
