#include "http_test_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <thread>

namespace batchgate::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void send(beast::tcp_stream& stream, const HttpCall& call) {
  http::request<http::string_body> req{http::string_to_verb(call.method), call.target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : call.headers) req.set(k, v);
  req.body() = call.body;
  if (call.chunked)
    req.chunked(true);
  else
    req.prepare_payload();
  http::write(stream, req);
}

HttpResult receive(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 32);
  http::read(stream, buffer, parser);
  HttpResult out;
  out.status = int(parser.get().result_int());
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = parser.get().body();
  return out;
}

beast::tcp_stream connect(asio::io_context& ioc, std::uint16_t port) {
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return stream;
}

}  // namespace

HttpResult http_call(std::uint16_t port, const HttpCall& call) {
  asio::io_context ioc;
  auto stream = connect(ioc, port);
  send(stream, call);
  beast::flat_buffer buffer;
  return receive(stream, buffer);
}

std::pair<HttpResult, HttpResult> http_call_twice(std::uint16_t port, const HttpCall& first, const HttpCall& second) {
  asio::io_context ioc;
  auto stream = connect(ioc, port);
  beast::flat_buffer buffer;
  send(stream, first);
  auto a = receive(stream, buffer);
  send(stream, second);
  auto b = receive(stream, buffer);
  return {a, b};
}

RawResult raw_exchange(std::uint16_t port, const std::string& raw, long wait_ms) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(raw));
  socket.non_blocking(true);
  RawResult out;
  const auto start = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = socket.read_some(asio::buffer(buf), ec);
    if (!ec) {
      out.received.append(buf, n);
      continue;
    }
    if (ec != asio::error::would_block) {
      out.closed_by_server = true;
      break;
    }
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(wait_ms)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  out.elapsed_ms = long(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
  return out;
}

}  // namespace batchgate::testing
