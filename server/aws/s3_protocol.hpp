#pragma once

// The pure half of the S3 client (spec/aws-sigv4-s3.md §3): addressing, request paths and queries,
// XML bodies and responses, typed errors. No Asio; unit-tested without a server.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/aws/http_types.hpp"

namespace batchgate::aws {

// An S3 failure: the S3 error code and message (from the XML body, or derived from the status for
// bodiless HEAD errors), the HTTP status, or a transport failure (http_status 0).
struct S3Error {
  int http_status = 0;
  std::string code;  // "NoSuchKey", "SignatureDoesNotMatch", "EntityTooSmall", ...
  std::string message;
  std::string transport;  // transport error text when no HTTP response arrived

  std::string to_string() const;
};

struct S3Addressing {
  std::optional<std::string> endpoint_url;  // e.g. "http://127.0.0.1:5000"; implies path-style
  std::string region = "us-east-1";
  bool force_path_style = false;
};

// Where a request for (bucket, key) goes: virtual-hosted `https://{bucket}.s3.{region}.amazonaws.com/{key}`
// for AWS; path-style `{endpoint}/{bucket}/{key}` with an endpoint override, when forced, or for bucket
// names with dots (TLS wildcard certificates do not cover them) (spec §3.1). `key` empty → bucket-level.
struct S3Target {
  Url endpoint;
  std::string path;  // wire path, key UriEncoded once with '/' kept
};
std::optional<S3Target> s3_target(const S3Addressing& addressing, std::string_view bucket,
                                  std::string_view key);

// "name=value&..." with names and values UriEncoded, in the given order; the value-less sub-resources
// `uploads` and `delete` render as a bare name ("?uploads", as botocore sends it).
std::string build_query(const std::vector<std::pair<std::string, std::string>>& params);

// Decoding of encoding-type=url values ('+' is a space, as botocore's unquote_plus).
std::string url_decode_plus(std::string_view value);

// Maps a non-2xx response (or a 200 whose body root is <Error>) to S3Error. HEAD errors carry no body:
// the code is derived from the status (404 → NoSuchKey, 403 → AccessDenied, else "HTTP <status>").
S3Error s3_error_from_response(const HttpResponse& response);
// A 200 response whose XML root element is <Error> (CompleteMultipartUpload, spec §3.2).
bool is_error_document(std::string_view body);

// A "bytes=first-last" or "bytes=first-" Range header. Suffix ranges ("bytes=-500") and multi-ranges
// give nullopt (they cannot be resumed from an offset).
struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;  // inclusive
};
std::optional<ByteRange> parse_byte_range(std::string_view header);
// The Range that continues `original` (whole object when nullopt) after `delivered` bytes.
std::string resume_range(const std::optional<ByteRange>& original, std::uint64_t delivered);

std::optional<std::string> parse_initiate_multipart_upload(std::string_view body);  // → UploadId

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // as returned by UploadPart, quotes included
};
std::string complete_multipart_upload_body(const std::vector<CompletedPart>& parts);
std::optional<std::string> parse_complete_multipart_upload(std::string_view body);  // → ETag

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::string last_modified;  // ISO-8601 as S3 sends it
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::optional<std::string> next_continuation_token;
};

// Parses a ListObjectsV2 <ListBucketResult>; keys and prefixes are URL-decoded when EncodingType is url.
std::optional<ListPage> parse_list_objects_v2(std::string_view body);

// A multipart upload started and neither completed nor aborted (ListMultipartUploads).
struct OpenUpload {
  std::string key;
  std::string upload_id;
  std::string initiated;  // ISO-8601 as S3 sends it
};

struct UploadsPage {
  std::vector<OpenUpload> uploads;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

// Parses a <ListMultipartUploadsResult>; keys are URL-decoded when EncodingType is url.
std::optional<UploadsPage> parse_list_multipart_uploads(std::string_view body);

// "2024-01-15T10:00:00.000Z" (S3's timestamps) → seconds since the epoch.
std::optional<std::int64_t> parse_iso8601_utc(std::string_view text);

}  // namespace batchgate::aws
