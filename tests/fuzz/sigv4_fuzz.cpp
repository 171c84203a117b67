// SigV4 as the Bedrock emulator verifies it and the clients sign (server/aws/sigv4.hpp).
// Input, line by line:
//   an Authorization header value       parse_authorization on its own
//   "<METHOD> <target>"                 the request line ("/path?query" as received)
//   "Name: value" lines                 the headers, up to an empty line
//   the body
// Properties: a parsed Authorization renders back to the same fields; the canonical request of the received
// request builds under both URI rules; and a request signed by sign_request verifies with
// signature_for_received, as the emulator checks it (S3 when the Authorization line names /s3/, else
// Bedrock).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/aws/sigv4.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace batchgate::aws {
namespace {

using fuzz::take_line;

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// RFC 9110 token characters: the only header names an HTTP parser lets through.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(char(c)) == std::string_view::npos) return false;
  }
  return true;
}

void check_authorization_round_trip(const ParsedAuthorization& parsed) {
  // SigningScope::date() is the first 8 characters of amz_date: only such dates render back unchanged.
  if (parsed.date.size() > 8) return;
  const SigningScope scope{parsed.date, parsed.region, parsed.service};
  const auto again = parse_authorization(
      authorization_header(parsed.access_key_id, scope, parsed.signed_headers, parsed.signature));
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->access_key_id == parsed.access_key_id && again->date == parsed.date);
  FUZZ_CHECK(again->region == parsed.region && again->service == parsed.service);
  FUZZ_CHECK(again->signed_headers == parsed.signed_headers && again->signature == parsed.signature);
}

void check_sign_then_verify(std::string_view method, std::string_view target, const Headers& headers,
                            std::string_view body, std::string_view service) {
  HttpRequest request;
  request.method = std::string(method);
  const std::size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  request.body = std::string(body);
  for (const Header& header : headers)
    if (is_token(header.name)) request.headers.push_back(header);

  const Credentials credentials{"AKIDEXAMPLE", std::string(kSecret), "session-token"};
  const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(1705320000));
  const HttpRequest signed_request =
      sign_request(request, "bedrock.us-east-1.amazonaws.com", credentials, "us-east-1", service, time);

  const auto authorization = find_header(signed_request.headers, "Authorization");
  const auto amz_date = find_header(signed_request.headers, "X-Amz-Date");
  FUZZ_CHECK(authorization && amz_date);
  const auto parsed = parse_authorization(*authorization);
  FUZZ_CHECK(parsed && parsed->service == service);
  const SigningRequest received = received_signing_request(signed_request.method, signed_request.target(),
                                                           signed_request.headers, signed_request.body);
  FUZZ_CHECK(
      signatures_equal(signature_for_received(received, *parsed, *amz_date, kSecret), parsed->signature));
}

void check_request(std::string_view text) {
  const std::string_view authorization = take_line(text);
  const std::string_view request_line = take_line(text);
  Headers headers;
  while (!text.empty()) {
    std::string_view line = take_line(text);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  const std::string_view body = text;
  const std::size_t space = request_line.find(' ');
  const std::string_view method = request_line.substr(0, space);
  const std::string_view target =
      space == std::string_view::npos ? std::string_view() : request_line.substr(space + 1);

  const auto parsed = parse_authorization(authorization);
  if (parsed) check_authorization_round_trip(*parsed);

  const SigningRequest received = received_signing_request(method, target, headers, body);
  const auto signed_headers = parsed ? parsed->signed_headers : default_signed_headers(received);
  canonical_request(received, signed_headers, UriRules::kS3);
  canonical_request(received, signed_headers, UriRules::kStandard);
  if (parsed) signature_for_received(received, *parsed, "20240115T120000Z", kSecret);

  const bool s3 = authorization.find("/s3/") != std::string_view::npos;
  check_sign_then_verify(method, target, headers, body, s3 ? "s3" : "bedrock");
}

}  // namespace
}  // namespace batchgate::aws

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  batchgate::aws::check_request(batchgate::fuzz::as_text(data, size));
  return 0;
}
