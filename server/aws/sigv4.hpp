#pragma once

// AWS Signature Version 4 (header-based), as specified in spec/aws-sigv4-s3.md §1.
// Pure: OpenSSL only, never reads the clock or the environment. Used by the S3/Bedrock clients to sign
// outgoing requests and by the Bedrock emulator to verify incoming ones.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/aws/http_types.hpp"

namespace batchgate::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::optional<std::string> session_token;  // temporary credentials: sent as X-Amz-Security-Token
};

// SHA-256 of the empty body (spec §1.2).
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// S3 only: the payload is not part of the signature (spec §1.2).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// Binary HMAC-SHA256(key, data) (32 bytes).
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hex_encode(std::string_view bytes);
// UriEncode of spec §1.3: every byte except A-Z a-z 0-9 - _ . ~ as %XX (uppercase); '/' kept if keep_slash.
std::string uri_encode(std::string_view s, bool keep_slash);
// Decodes %XX escapes ('+' stays '+'). Malformed escapes are kept verbatim.
std::string uri_decode(std::string_view s);
// Splits a wire query string ("a=1&b&c=x%2Fy") into decoded name/value pairs; "b" → {"b", ""}.
std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view query);

// "YYYYMMDDTHHMMSSZ" (UTC) for the X-Amz-Date header.
std::string format_amz_date(std::chrono::system_clock::time_point time);

// Which canonical-URI rule applies (spec §1.3): S3 signs the wire path as is; every other service
// normalises it and percent-encodes it a second time.
enum class UriRules { kS3, kStandard };

inline UriRules uri_rules_for(std::string_view service) {
  return service == "s3" ? UriRules::kS3 : UriRules::kStandard;
}

// What is signed. `headers` are the headers that will be sent (or were received); a Host header is taken
// from `host` when `headers` has none.
struct SigningRequest {
  std::string method;  // "GET", "PUT", ...
  std::string host;    // as sent, with ":port" when non-default ("127.0.0.1:9000")
  std::string path;    // raw wire path, already percent-encoded ("/my-bucket/in%20put%2B1.jsonl")
  std::vector<std::pair<std::string, std::string>> query;  // decoded name/value pairs, any order
  Headers headers;
  std::string payload_hash;  // hex SHA-256 of the body, or kUnsignedPayload (S3)
  // Stand-in compatibility only, never for AWS: moto_server 5.2.1 verifies signatures over a query in
  // which %2F was decoded, so it expects '/' unencoded in the canonical query (S3Config::query_keeps_slash).
  bool query_keeps_slash = false;
};

struct SigningScope {
  std::string amz_date;  // "20150830T123600Z"
  std::string region;    // "us-east-1"
  std::string service;   // "s3", "bedrock", "sts"

  std::string date() const { return amz_date.substr(0, 8); }
  // "{date}/{region}/{service}/aws4_request"
  std::string credential_scope() const;
};

std::string canonical_uri(std::string_view wire_path, UriRules rules);
// Spec §1.4: encode names and values, sort by name then value, "name=" for empty values.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query,
                            bool keep_slash = false);
// Spec §1.5: lowercase names, values trimmed with whitespace runs collapsed, duplicates joined by ','.
// Only headers named in `signed_headers` (lowercase) are included; each line ends with '\n'.
std::string canonical_headers(const SigningRequest& request, const std::vector<std::string>& signed_headers);

// The lowercase, sorted names a client signs: every header present (plus host) except botocore's
// blacklist (connection, expect, user-agent, transfer-encoding, ... spec §1.5).
std::vector<std::string> default_signed_headers(const SigningRequest& request);

std::string canonical_request(const SigningRequest& request, const std::vector<std::string>& signed_headers,
                              UriRules rules);
std::string string_to_sign(const SigningScope& scope, std::string_view canonical_request);
// Binary signing key (spec §1.2 step 5).
std::string signing_key(std::string_view secret_access_key, const SigningScope& scope);
// Lowercase hex signature.
std::string compute_signature(std::string_view signing_key, std::string_view string_to_sign);
std::string authorization_header(std::string_view access_key_id, const SigningScope& scope,
                                 const std::vector<std::string>& signed_headers, std::string_view signature);

// Client side: returns the headers to add to the outgoing request, in this order: X-Amz-Date,
// X-Amz-Security-Token (temporary credentials), x-amz-content-sha256 (S3 only; value = payload_hash),
// Authorization. The first three are signed. `request.headers` must not already hold them.
Headers sign(const SigningRequest& request, const Credentials& credentials, std::string_view region,
             std::string_view service, std::chrono::system_clock::time_point time);

// Signs a whole HttpRequest for sending to `host` (the Host header value; a Host header is added when the
// request has none). For S3 an x-amz-content-sha256 already on the request (e.g. UNSIGNED-PAYLOAD) is kept
// as the payload hash; otherwise the body's SHA-256 is used (`body_sha256` when the caller has it already).
HttpRequest sign_request(HttpRequest request, std::string_view host, const Credentials& credentials,
                         std::string_view region, std::string_view service,
                         std::chrono::system_clock::time_point time,
                         std::optional<std::string> body_sha256 = {}, bool query_keeps_slash = false);

// Server side ------------------------------------------------------------------------------------------

// The SigningRequest for a request as received: `target` is the raw request target ("/path?query"),
// `headers` every received header (Host included). The payload hash is the received x-amz-content-sha256
// when present (S3), else the SHA-256 of `body` (Bedrock/STS sign the body without sending the header).
SigningRequest received_signing_request(std::string_view method, std::string_view target, Headers headers,
                                        std::string_view body);

struct ParsedAuthorization {
  std::string access_key_id;
  std::string date;  // "20240115"
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lowercase, as listed
  std::string signature;
};

// Parses "AWS4-HMAC-SHA256 Credential=AKID/20240115/us-east-1/bedrock/aws4_request, SignedHeaders=a;b,
// Signature=hex" (',' or ', ' separators). Empty optional when malformed.
std::optional<ParsedAuthorization> parse_authorization(std::string_view header);

// Recomputes the signature of a received request. `request.headers` are the received headers (Host
// included), `request.payload_hash` the received x-amz-content-sha256 value or the SHA-256 of the body,
// `amz_date` the received X-Amz-Date. Rules follow `auth.service`.
std::string signature_for_received(const SigningRequest& request, const ParsedAuthorization& auth,
                                   std::string_view amz_date, std::string_view secret_access_key);

// Constant-time comparison of two signatures.
bool signatures_equal(std::string_view a, std::string_view b);

}  // namespace batchgate::aws
