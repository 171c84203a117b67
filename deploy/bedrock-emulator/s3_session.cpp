#include "s3_session.hpp"

#include <sys/mman.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include "md5.hpp"

namespace batchgate::bedrock_emulator {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIoTimeout = 120s;  // renewed on every chunk, so only a stalled peer times out
constexpr std::size_t kReadChunk = std::size_t{1} << 20;
constexpr std::size_t kWriteChunk = std::size_t{4} << 20;

aws::Headers headers_of(const http::request_parser<http::empty_body>& parser) {
  aws::Headers headers;
  for (const auto& field : parser.get()) {
    headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  return headers;
}

// Large bodies are backed by transparent huge pages where the kernel offers them (madvise mode): a 1 GiB
// object otherwise costs 262144 page faults, which dominate the upload's CPU time on a VM.
void advise_huge_pages(char* data, std::size_t size) {
  constexpr std::uintptr_t kHugePage = 2 * 1024 * 1024;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + size) & ~(kHugePage - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Reads `length` body bytes into one string of exactly that size: first what `buffer` already holds, then
// straight from the socket, 1 MiB per read. The MD5 is taken chunk by chunk while the bytes are in cache.
asio::awaitable<std::optional<S3Body>> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                 std::uint64_t length, bool digest) {
  auto bytes = std::make_shared<std::string>();
  bytes->reserve(length);
  advise_huge_pages(bytes->data(), length);
  bytes->resize(length);
  Md5 md5;
  std::size_t filled = asio::buffer_copy(asio::buffer(bytes->data(), length), buffer.data());
  buffer.consume(filled);
  if (digest) md5.update(std::string_view(bytes->data(), filled));
  while (filled < length) {
    const std::size_t want = std::min<std::uint64_t>(kReadChunk, length - filled);
    stream.expires_after(kIoTimeout);
    auto [error, got] =
        co_await asio::async_read(stream, asio::buffer(bytes->data() + filled, want), kUseTuple);
    if (error) co_return std::nullopt;
    if (digest) md5.update(std::string_view(bytes->data() + filled, got));
    filled += got;
  }
  co_return S3Body{std::move(bytes), digest ? md5.finish() : std::string()};
}

// Reads and drops the `length` body bytes of a refused request, so that the client, which may still be
// sending them, gets the refusal instead of a reset connection, and the connection stays usable.
asio::awaitable<bool> discard_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   std::uint64_t length) {
  const std::size_t buffered = std::min<std::uint64_t>(buffer.size(), length);
  buffer.consume(buffered);
  std::uint64_t left = length - buffered;
  std::string scratch(std::min<std::uint64_t>(kReadChunk, left), '\0');
  while (left > 0) {
    const std::size_t want = std::min<std::uint64_t>(scratch.size(), left);
    stream.expires_after(kIoTimeout);
    auto [error, got] = co_await asio::async_read(stream, asio::buffer(scratch.data(), want), kUseTuple);
    if (error) co_return false;
    left -= got;
  }
  co_return true;
}

asio::awaitable<bool> write_all(beast::tcp_stream& stream, std::string_view bytes) {
  while (!bytes.empty()) {
    const std::string_view chunk = bytes.substr(0, kWriteChunk);
    stream.expires_after(kIoTimeout);
    auto [error, written] =
        co_await asio::async_write(stream, asio::buffer(chunk.data(), chunk.size()), kUseTuple);
    if (error) co_return false;
    bytes.remove_prefix(written);
  }
  co_return true;
}

// The reply's bytes after its header: the XML body, or the object's range segment by segment.
asio::awaitable<bool> write_payload(beast::tcp_stream& stream, const S3Reply& reply) {
  if (!reply.object) co_return co_await write_all(stream, reply.body);
  std::uint64_t skip = reply.offset;
  std::uint64_t left = reply.length;
  for (const Bytes& segment : reply.object->segments) {
    if (left == 0) break;
    if (skip >= segment->size()) {
      skip -= segment->size();
      continue;
    }
    const std::string_view bytes = std::string_view(*segment).substr(skip, left);
    skip = 0;
    if (!co_await write_all(stream, bytes)) co_return false;
    left -= bytes.size();
  }
  co_return true;
}

asio::awaitable<S3Served> send(beast::tcp_stream& stream, const S3Reply& reply, unsigned version,
                               bool keep_alive) {
  http::response<http::empty_body> response{static_cast<http::status>(reply.status), version};
  for (const auto& header : reply.headers) response.set(header.name, header.value);
  response.set(http::field::server, "bedrock-emulator");
  response.content_length(reply.content_length());
  response.keep_alive(keep_alive);
  stream.expires_after(kIoTimeout);
  auto [error, written] = co_await http::async_write(stream, response, kUseTuple);
  if (error) co_return S3Served::kClose;
  if (!reply.head && !co_await write_payload(stream, reply)) co_return S3Served::kClose;
  co_return keep_alive ? S3Served::kKeepAlive : S3Served::kClose;
}

}  // namespace

asio::awaitable<S3Served> serve_s3(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   const http::request_parser<http::empty_body>& parser, S3Routes& routes) {
  const auto& request = parser.get();
  const aws::Headers headers = headers_of(parser);
  auto call = routes.classify(request.method_string(), request.target(), headers);
  if (!call) co_return S3Served::kNotS3;
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const std::uint64_t length = parser.content_length().value_or(0);
  const bool expects_continue = beast::iequals(request[http::field::expect], "100-continue");
  if (call->rejection) {
    // A client waiting for 100 Continue sends no body after a final answer; otherwise the body is on its way.
    if (parser.chunked() || (length > 0 && expects_continue)) {
      co_return co_await send(stream, *call->rejection, version, false);
    }
    if (!co_await discard_body(stream, buffer, length)) co_return S3Served::kClose;
    co_return co_await send(stream, *call->rejection, version, keep_alive);
  }
  // Bodies are read by Content-Length into storage of that size; S3 requires it for uploads too.
  if (parser.chunked() || (call->stores_body() && !parser.content_length())) {
    const S3Failure missing{411, "MissingContentLength", "You must provide the Content-Length HTTP header."};
    co_return co_await send(stream, routes.failure(*call, missing), version, false);
  }
  const std::uint64_t limit = call->stores_body() ? S3Routes::kMaxObjectBytes : S3Routes::kMaxDocumentBytes;
  if (length > limit) {
    const S3Failure too_large{400, "EntityTooLarge",
                              "Your proposed upload exceeds the maximum allowed size (" +
                                  std::to_string(limit) + " bytes for this request)."};
    co_return co_await send(stream, routes.failure(*call, too_large), version, false);
  }
  if (length > 0 && expects_continue) {
    http::response<http::empty_body> proceed{http::status::continue_, version};
    stream.expires_after(kIoTimeout);
    auto [error, written] = co_await http::async_write(stream, proceed, kUseTuple);
    if (error) co_return S3Served::kClose;
  }
  auto body = co_await read_body(stream, buffer, length, call->stores_body());
  if (!body) co_return S3Served::kClose;
  const S3Reply reply = routes.handle(*call, headers, std::move(*body));
  co_return co_await send(stream, reply, version, keep_alive);
}

}  // namespace batchgate::bedrock_emulator
