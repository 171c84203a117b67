#pragma once

// HTTP/1.1 client for AWS endpoints on Beast/Asio (C++20 coroutines): TLS with certificate verification and
// SNI for https://, plain TCP for http:// (local stand-ins), a small keep-alive pool per host, timeouts on
// every I/O, whole or streamed response bodies, and AWS standard retries. Failures are values
// (boost::system::result); no exception escapes these functions.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/aws/http_types.hpp"
#include "server/aws/retry.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::aws {

template <typename T>
using Result = boost::system::result<T>;

// Our own failure reasons; transport failures arrive as Asio/Beast/SSL error codes.
enum class HttpErrc {
  kInvalidUrl = 1,  // endpoint URL could not be parsed
  kInvalidMethod,   // request.method is not an HTTP verb
  kBodyTooLarge,    // a whole-body response exceeded HttpClientOptions::max_body_bytes
  kSinkAborted,     // the streaming sink returned false
  kCredentials,     // the credentials provider failed
  kInternal,        // an unexpected exception was caught
};
const boost::system::error_category& http_error_category();
boost::system::error_code make_error_code(HttpErrc e);

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};  // DNS + TCP connect + TLS handshake
  std::chrono::milliseconds io_timeout{
      60'000};                        // longest stall while writing or reading (renewed on progress)
  std::size_t max_idle_per_host = 4;  // keep-alive connections kept per scheme://host:port
  // A pooled connection idle longer than this is closed instead of reused: servers drop idle keep-alive
  // connections (S3 after some seconds, proxies and load balancers after theirs), and reusing one that
  // the server is closing costs a failed attempt. Kept below the idle timeouts seen in practice.
  std::chrono::milliseconds max_idle_time{4'000};
  std::size_t max_body_bytes = 64 * 1024 * 1024;  // limit for responses read into a string
  std::string ca_file;                            // extra trusted CA bundle (tests); system paths always
};

// Receives response body bytes as they arrive (only for 2xx responses). Return false to stop; the
// request then fails with HttpErrc::kSinkAborted and the connection is closed.
using BodySink = std::function<boost::asio::awaitable<bool>(std::string_view chunk)>;
// Sees the status and headers of a streamed 2xx response before its first body byte (e.g. to keep the
// ETag for resuming a download).
using HeadObserver = std::function<void(const HttpResponse& head)>;

class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One attempt, no retry. `request.path` is the full wire path (include endpoint.base_path yourself).
  // A Host header is added from `endpoint` when the request has none; Content-Length is always set for
  // requests with a body (and for PUT/POST). A stale pooled connection never surfaces: one the server has
  // closed (or is closing) is detected before reuse and dropped, and a reused connection that fails before
  // any response byte is replaced by a fresh one and the request sent again (every request batchgate sends
  // is idempotent or carries a clientRequestToken).
  boost::asio::awaitable<Result<HttpResponse>> send(Url endpoint, HttpRequest request);

  // As send(), but a 2xx body is handed to `sink` chunk by chunk (flat memory whatever the size) and
  // HttpResponse::body stays empty; a non-2xx body is still read into HttpResponse::body (error XML/JSON).
  boost::asio::awaitable<Result<HttpResponse>> send_streaming(Url endpoint, HttpRequest request,
                                                              BodySink sink, HeadObserver on_head = {});

  const HttpClientOptions& options() const;
  boost::asio::any_io_executor executor() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds a fresh request for each attempt (so signatures carry the attempt's time).
using RequestFactory = std::function<boost::asio::awaitable<Result<HttpRequest>>()>;

// Sends with AWS standard retries (retry.hpp): throttling, 5xx and connection errors are retried with
// full-jitter backoff up to policy.max_attempts; other responses (including 4xx) are returned as they are.
// With a sink, a request is only retried while no body byte has reached the sink.
boost::asio::awaitable<Result<HttpResponse>> send_with_retry(HttpClient& client, Url endpoint,
                                                             RequestFactory make_request, RetryPolicy policy,
                                                             BodySink sink = {}, HeadObserver on_head = {});

// SigV4-signed AWS calls ----------------------------------------------------------------------------------

// Where signing credentials come from. Asynchronous so that a provider may refresh over the network
// (STS, IMDS); it is called once per attempt and should cache.
using CredentialsProvider = std::function<boost::asio::awaitable<Result<Credentials>>()>;
CredentialsProvider static_credentials(Credentials credentials);
CredentialsProvider credentials_from(std::function<Credentials()> fetch);

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct AwsSigning {
  std::string region;   // signing region, "us-east-1"
  std::string service;  // signing name: "s3", "bedrock", "sts"
  CredentialsProvider credentials;
  Clock clock;                     // empty → system_clock::now
  bool query_keeps_slash = false;  // moto_server compatibility only (see SigningRequest::query_keeps_slash)
};

// Signs `request` (adds X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256 for S3, Authorization) on
// every attempt and sends it with send_with_retry. For S3, a request that already carries
// x-amz-content-sha256 (e.g. UNSIGNED-PAYLOAD) keeps it; otherwise the body's SHA-256 is used.
boost::asio::awaitable<Result<HttpResponse>> send_signed(HttpClient& client, Url endpoint,
                                                         HttpRequest request, AwsSigning signing,
                                                         RetryPolicy policy, BodySink sink = {},
                                                         HeadObserver on_head = {});

}  // namespace batchgate::aws

namespace boost::system {
template <>
struct is_error_code_enum<batchgate::aws::HttpErrc> : std::true_type {};
}  // namespace boost::system
