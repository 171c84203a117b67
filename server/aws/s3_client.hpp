#pragma once

// S3 REST client (spec/aws-sigv4-s3.md §3): objects, multipart uploads, streamed downloads, listing.
// Every request is SigV4-signed (service "s3") on each attempt and retried per AWS standard mode.
// Failures are values: S3Result<T> holds either T or an S3Error (code, message, HTTP status).

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/aws/http_client.hpp"
#include "server/aws/s3_protocol.hpp"

namespace batchgate::aws {

template <typename T>
using S3Result = boost::system::result<T, S3Error>;

// Required by boost::system::result<T, S3Error>::value(); throws std::runtime_error with to_string().
[[noreturn]] void throw_exception_from_error(const S3Error& error, const boost::source_location& location);

struct S3Config {
  std::optional<std::string> endpoint_url;  // "http://127.0.0.1:5000" (stand-ins) → path-style
  std::string region = "us-east-1";
  bool force_path_style = false;
  CredentialsProvider credentials;
  // SSE-KMS key (ARN, id or alias) for PutObject / CreateMultipartUpload; empty → no SSE headers (spec §3.4).
  std::optional<std::string> kms_key_id;
  RetryPolicy retry;
  Clock clock;  // empty → system clock
  // Only for a SigV4-checking moto_server (5.2.1): it verifies over a query with %2F decoded, so a '/' in
  // a query value (ListObjectsV2 prefix "out/abc/", delimiter "/") is refused unless this is set.
  // Never set it against AWS, which requires %2F.
  bool query_keeps_slash = false;
};

struct PutObjectResult {
  std::string etag;  // quotes included
  std::optional<std::string> version_id;
  std::optional<std::string> server_side_encryption;  // echoed "aws:kms"
  std::optional<std::string> kms_key_id;
};

struct ObjectInfo {
  int http_status = 0;               // 200, or 206 for a range
  std::uint64_t content_length = 0;  // of this response (the range length for 206)
  std::string etag;
  std::string content_type;
  std::string last_modified;                 // RFC 1123 as sent
  std::optional<std::string> content_range;  // "bytes 0-9/1234" for 206
  std::optional<std::string> server_side_encryption;
  std::optional<std::string> kms_key_id;
};

struct ListObjectsRequest {
  std::string prefix;
  std::string delimiter;
  std::optional<std::string> continuation_token;
  std::string start_after;
  int max_keys = 1000;  // S3 caps pages at 1000
};

class S3Client {
 public:
  S3Client(HttpClient& http, S3Config config);

  const S3Config& config() const { return config_; }

  boost::asio::awaitable<S3Result<PutObjectResult>> put_object(std::string bucket, std::string key,
                                                               std::string body,
                                                               std::string content_type = {});

  // Streams the object (or `range`, e.g. "bytes=0-9", "bytes=100-", "bytes=-500") to `sink` as it
  // arrives; memory stays flat whatever the size. Unsatisfiable range → 416 InvalidRange. A transfer that
  // breaks after some bytes were delivered is resumed where it stopped (Range from the offset, If-Match on
  // the first ETag; up to retry.max_attempts requests), so `sink` sees every byte exactly once; an object
  // replaced meanwhile fails with 412 PreconditionFailed. The returned info is the first response's.
  boost::asio::awaitable<S3Result<ObjectInfo>> get_object(std::string bucket, std::string key, BodySink sink,
                                                          std::optional<std::string> range = {});
  // The whole object (or range) as a string; for small objects (bounded by
  // HttpClientOptions::max_body_bytes).
  boost::asio::awaitable<S3Result<std::string>> get_object_string(std::string bucket, std::string key,
                                                                  std::optional<std::string> range = {});

  // Missing key → S3Error{404, "NoSuchKey"} (HEAD errors have no body).
  boost::asio::awaitable<S3Result<ObjectInfo>> head_object(std::string bucket, std::string key);
  // Idempotent: deleting a missing key succeeds (S3 answers 204).
  boost::asio::awaitable<S3Result<void>> delete_object(std::string bucket, std::string key);

  boost::asio::awaitable<S3Result<ListPage>> list_objects_v2(std::string bucket, ListObjectsRequest request);
  // Follows continuation tokens until the listing is complete.
  boost::asio::awaitable<S3Result<std::vector<ListedObject>>> list_all_objects(std::string bucket,
                                                                               std::string prefix,
                                                                               int page_size = 1000);

  // Multipart (spec §3.3): parts 1..10000, each ≥ 5 MiB except the last.
  boost::asio::awaitable<S3Result<std::string>> create_multipart_upload(std::string bucket, std::string key,
                                                                        std::string content_type = {});
  // → the part's ETag (quotes included). The body is sent from where it lies: it must stay valid until the
  // returned awaitable completes (co_await it directly).
  boost::asio::awaitable<S3Result<std::string>> upload_part(std::string bucket, std::string key,
                                                            std::string upload_id, int part_number,
                                                            std::string_view body);
  // → the object's ETag. A 200 carrying an <Error> document is reported as that error.
  boost::asio::awaitable<S3Result<std::string>> complete_multipart_upload(std::string bucket, std::string key,
                                                                          std::string upload_id,
                                                                          std::vector<CompletedPart> parts);
  // Unknown upload id → S3Error{404, "NoSuchUpload"}.
  boost::asio::awaitable<S3Result<void>> abort_multipart_upload(std::string bucket, std::string key,
                                                                std::string upload_id);
  // Every multipart upload under `prefix` that is still open (all pages of ListMultipartUploads).
  boost::asio::awaitable<S3Result<std::vector<OpenUpload>>> list_multipart_uploads(std::string bucket,
                                                                                   std::string prefix);

 private:
  boost::asio::awaitable<S3Result<HttpResponse>> call(std::string bucket, std::string key,
                                                      HttpRequest request, BodySink sink = {},
                                                      HeadObserver on_head = {});

  HttpClient& http_;
  S3Config config_;
};

// Streams bytes into one S3 object: buffers up to `part_size` (≥ 5 MiB, default 8 MiB), uploads full parts
// as they fill, and on finish() completes the multipart upload — or, if the whole object fit in one part,
// sends a single PutObject. One part uploads while the next one fills (at most one in flight), and the two
// part buffers are allocated once and reused, so memory stays at two parts whatever the object's size. Any
// failure aborts the multipart upload before returning the error, so nothing is left behind; abort()
// cancels on the caller's behalf. Call finish() or abort() before destruction (a part still uploading then
// finishes on its own, keeping what it needs alive).
class MultipartUploader {
 public:
  static constexpr std::size_t kMinPartSize = 5 * 1024 * 1024;
  static constexpr std::size_t kDefaultPartSize = 8 * 1024 * 1024;

  MultipartUploader(S3Client& client, std::string bucket, std::string key,
                    std::size_t part_size = kDefaultPartSize, std::string content_type = {});

  // Appends `bytes` (a line, a chunk of a request body). co_await it directly: the view must stay valid
  // until the returned awaitable completes.
  boost::asio::awaitable<S3Result<void>> write(std::string_view bytes);
  // → the object's ETag.
  boost::asio::awaitable<S3Result<std::string>> finish();
  boost::asio::awaitable<S3Result<void>> abort();

  std::uint64_t bytes_written() const { return bytes_written_; }
  // Parts sent so far, the last one possibly still uploading.
  int parts_started() const { return static_cast<int>(parts_.size()) + (in_flight_ ? 1 : 0); }
  const std::optional<std::string>& upload_id() const { return upload_id_; }

 private:
  struct PartInFlight;

  // Starts uploading the filled buffer (after the part before it has finished) and switches to the spare.
  boost::asio::awaitable<S3Result<void>> start_part();
  // Waits for the part in flight, if any, and records its ETag; its buffer becomes the spare.
  boost::asio::awaitable<S3Result<void>> wait_for_part();
  boost::asio::awaitable<void> abort_quietly();

  S3Client& client_;
  std::string bucket_;
  std::string key_;
  std::size_t part_size_;
  std::string content_type_;
  std::string buffer_;  // the part being filled
  std::string spare_;   // the other part buffer, back from its upload
  std::shared_ptr<PartInFlight> in_flight_;
  std::optional<std::string> upload_id_;
  std::vector<CompletedPart> parts_;
  std::uint64_t bytes_written_ = 0;
  bool finished_ = false;
};

}  // namespace batchgate::aws
