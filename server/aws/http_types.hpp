#pragma once

// Plain HTTP value types shared by the signer, the retry policy and the HTTP client.
// Deliberately free of Asio/Beast so that pure code (sigv4, retry, S3 XML parsing) can use them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace batchgate::aws {

struct Header {
  std::string name;
  std::string value;
};

using Headers = std::vector<Header>;

// Case-insensitive lookup of the first header called `name`.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

bool iequals(std::string_view a, std::string_view b);

// A parsed absolute URL: scheme://host[:port]/base_path. Only http and https are accepted.
struct Url {
  std::string scheme;      // "http" or "https"
  std::string host;        // without port, without brackets
  std::uint16_t port = 0;  // always set (80/443 when the URL had none)
  std::string base_path;   // path prefix without a trailing '/', usually empty

  bool is_tls() const { return scheme == "https"; }
  // The value of the Host header: the host plus ":port" when the port is not the scheme default
  // (spec/aws-sigv4-s3.md §1.1: the port is part of the signed host).
  std::string host_header() const;
};

// Parses "http://127.0.0.1:5000" or "https://s3.us-east-1.amazonaws.com/prefix". Empty optional on error.
std::optional<Url> parse_url(std::string_view text);

struct HttpRequest {
  std::string method = "GET";  // "GET", "PUT", ...
  std::string path = "/";      // wire path, already percent-encoded, without the query
  std::string query;           // wire query string without '?', already percent-encoded ("" when none)
  Headers headers;             // Host is added by the client when absent
  std::string body;
  // A body the caller keeps alive until the request has been sent (a multipart part): sent instead of
  // `body`, so signing and retries never copy it.
  std::optional<std::string_view> borrowed_body;

  std::string target() const { return query.empty() ? path : path + "?" + query; }
  std::string_view payload() const { return borrowed_body ? *borrowed_body : std::string_view(body); }
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;  // empty when the body was streamed to a sink

  std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

}  // namespace batchgate::aws
