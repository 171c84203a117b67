#pragma once

// The transport of `--serve-s3`: after server.cpp has read a request's header, serve_s3() decides with
// S3Routes whether the request is S3's and, if so, reads its body straight into object storage and writes
// the answer, object bytes streamed from memory in large writes.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "s3_routes.hpp"

namespace batchgate::bedrock_emulator {

enum class S3Served {
  kNotS3,      // not an S3 request: the header is untouched, the Bedrock router answers it
  kKeepAlive,  // answered; the connection can carry the next request
  kClose,      // answered (or failed); close the connection
};

// `stream`, `buffer` and `parser` belong to the calling session, which awaits this. `buffer` holds whatever
// arrived after the header; the bytes of this request's body are taken from it before the socket is read.
boost::asio::awaitable<S3Served> serve_s3(
    boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
    const boost::beast::http::request_parser<boost::beast::http::empty_body>& parser, S3Routes& routes);

}  // namespace batchgate::bedrock_emulator
