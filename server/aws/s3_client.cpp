#include "server/aws/s3_client.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;

std::optional<std::string> header_copy(const HttpResponse& response, std::string_view name) {
  auto value = response.header(name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

ObjectInfo object_info(const HttpResponse& response) {
  ObjectInfo info;
  info.http_status = response.status;
  if (auto length = response.header("Content-Length")) {
    std::from_chars(length->data(), length->data() + length->size(), info.content_length);
  }
  info.etag = header_copy(response, "ETag").value_or("");
  info.content_type = header_copy(response, "Content-Type").value_or("");
  info.last_modified = header_copy(response, "Last-Modified").value_or("");
  info.content_range = header_copy(response, "Content-Range");
  info.server_side_encryption = header_copy(response, "x-amz-server-side-encryption");
  info.kms_key_id = header_copy(response, "x-amz-server-side-encryption-aws-kms-key-id");
  return info;
}

S3Error transport_error(std::string text) {
  return S3Error{0, {}, {}, std::move(text)};
}

S3Error invalid_response(const HttpResponse& response, std::string what) {
  return S3Error{response.status, "InvalidResponse", std::move(what), {}};
}

}  // namespace

void throw_exception_from_error(const S3Error& error, const boost::source_location&) {
  throw std::runtime_error(error.to_string());
}

S3Client::S3Client(HttpClient& http, S3Config config) : http_(http), config_(std::move(config)) {}

asio::awaitable<S3Result<HttpResponse>> S3Client::call(std::string bucket, std::string key,
                                                       HttpRequest request, BodySink sink,
                                                       HeadObserver on_head) {
  auto target =
      s3_target(S3Addressing{config_.endpoint_url, config_.region, config_.force_path_style}, bucket, key);
  if (!target)
    co_return transport_error("invalid S3 endpoint_url '" + config_.endpoint_url.value_or("") + "'");
  request.path = target->path;
  AwsSigning signing{config_.region, "s3", config_.credentials, config_.clock, config_.query_keeps_slash};
  Result<HttpResponse> response =
      co_await send_signed(http_, target->endpoint, std::move(request), std::move(signing), config_.retry,
                           std::move(sink), std::move(on_head));
  if (!response) co_return transport_error(response.error().message());
  if (response->status < 200 || response->status >= 300) co_return s3_error_from_response(*response);
  co_return std::move(*response);
}

asio::awaitable<S3Result<PutObjectResult>> S3Client::put_object(std::string bucket, std::string key,
                                                                std::string body, std::string content_type) {
  HttpRequest request;
  request.method = "PUT";
  request.body = std::move(body);
  if (!content_type.empty()) request.headers.push_back({"Content-Type", content_type});
  if (config_.kms_key_id) {
    request.headers.push_back({"x-amz-server-side-encryption", "aws:kms"});
    request.headers.push_back({"x-amz-server-side-encryption-aws-kms-key-id", *config_.kms_key_id});
  }
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  co_return PutObjectResult{header_copy(*response, "ETag").value_or(""),
                            header_copy(*response, "x-amz-version-id"),
                            header_copy(*response, "x-amz-server-side-encryption"),
                            header_copy(*response, "x-amz-server-side-encryption-aws-kms-key-id")};
}

asio::awaitable<S3Result<ObjectInfo>> S3Client::get_object(std::string bucket, std::string key, BodySink sink,
                                                           std::optional<std::string> range) {
  const std::optional<ByteRange> original = range ? parse_byte_range(*range) : std::nullopt;
  const bool resumable = !range || original.has_value();  // suffix ranges have no fixed offset
  std::optional<ObjectInfo> first_head;
  int head_status = 0;
  int attempt = 0;
  std::uint64_t delivered = 0;
  bool consumer_stopped = false;
  bool range_ignored = false;
  HeadObserver on_head = [&](const HttpResponse& head) {
    head_status = head.status;
    if (!first_head) first_head = object_info(head);
  };
  BodySink counting = [&](std::string_view chunk) -> asio::awaitable<bool> {
    // A resumed request must answer 206, or the bytes would start over from 0.
    if (attempt > 0 && head_status != 206) {
      range_ignored = true;
      co_return false;
    }
    if (sink && !co_await sink(chunk)) {
      consumer_stopped = true;
      co_return false;
    }
    delivered += chunk.size();
    co_return true;
  };
  for (;; ++attempt) {
    HttpRequest request;
    if (attempt == 0 && range) request.headers.push_back({"Range", *range});
    if (attempt > 0) {
      request.headers.push_back({"Range", resume_range(original, delivered)});
      if (!first_head->etag.empty()) request.headers.push_back({"If-Match", first_head->etag});
    }
    auto response = co_await call(bucket, key, std::move(request), counting, on_head);
    if (response) co_return first_head ? *first_head : object_info(*response);
    if (range_ignored)
      co_return S3Error{head_status, "InvalidResponse", "resumed download ignored Range", {}};
    const bool broke_mid_body = response.error().http_status == 0 && delivered > 0 && !consumer_stopped;
    if (!broke_mid_body || !resumable || !first_head || attempt + 1 >= config_.retry.max_attempts) {
      co_return response.error();
    }
  }
}

asio::awaitable<S3Result<std::string>> S3Client::get_object_string(std::string bucket, std::string key,
                                                                   std::optional<std::string> range) {
  HttpRequest request;
  if (range) request.headers.push_back({"Range", *range});
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  co_return std::move(response->body);
}

asio::awaitable<S3Result<ObjectInfo>> S3Client::head_object(std::string bucket, std::string key) {
  HttpRequest request;
  request.method = "HEAD";
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  co_return object_info(*response);
}

asio::awaitable<S3Result<void>> S3Client::delete_object(std::string bucket, std::string key) {
  HttpRequest request;
  request.method = "DELETE";
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  co_return S3Result<void>{};
}

asio::awaitable<S3Result<ListPage>> S3Client::list_objects_v2(std::string bucket, ListObjectsRequest list) {
  std::vector<std::pair<std::string, std::string>> params{{"list-type", "2"}};
  if (list.continuation_token) params.emplace_back("continuation-token", *list.continuation_token);
  if (!list.delimiter.empty()) params.emplace_back("delimiter", list.delimiter);
  params.emplace_back("encoding-type", "url");
  params.emplace_back("max-keys", std::to_string(std::clamp(list.max_keys, 1, 1000)));
  if (!list.prefix.empty()) params.emplace_back("prefix", list.prefix);
  if (!list.start_after.empty()) params.emplace_back("start-after", list.start_after);
  HttpRequest request;
  request.query = build_query(params);
  auto response = co_await call(std::move(bucket), "", std::move(request));
  if (!response) co_return response.error();
  auto page = parse_list_objects_v2(response->body);
  if (!page) co_return invalid_response(*response, "ListObjectsV2 response is not a ListBucketResult");
  co_return std::move(*page);
}

asio::awaitable<S3Result<std::vector<ListedObject>>> S3Client::list_all_objects(std::string bucket,
                                                                                std::string prefix,
                                                                                int page_size) {
  std::vector<ListedObject> all;
  ListObjectsRequest list;
  list.prefix = std::move(prefix);
  list.max_keys = page_size;
  while (true) {
    auto page = co_await list_objects_v2(bucket, list);
    if (!page) co_return page.error();
    std::move(page->objects.begin(), page->objects.end(), std::back_inserter(all));
    if (!page->is_truncated || !page->next_continuation_token) co_return all;
    list.continuation_token = std::move(page->next_continuation_token);
  }
}

asio::awaitable<S3Result<std::string>> S3Client::create_multipart_upload(std::string bucket, std::string key,
                                                                         std::string content_type) {
  HttpRequest request;
  request.method = "POST";
  request.query = "uploads";
  if (!content_type.empty()) request.headers.push_back({"Content-Type", content_type});
  // SSE headers belong on CreateMultipartUpload, never on UploadPart (spec §3.4).
  if (config_.kms_key_id) {
    request.headers.push_back({"x-amz-server-side-encryption", "aws:kms"});
    request.headers.push_back({"x-amz-server-side-encryption-aws-kms-key-id", *config_.kms_key_id});
  }
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  auto upload_id = parse_initiate_multipart_upload(response->body);
  if (!upload_id) co_return invalid_response(*response, "CreateMultipartUpload response has no UploadId");
  co_return std::move(*upload_id);
}

asio::awaitable<S3Result<std::string>> S3Client::upload_part(std::string bucket, std::string key,
                                                             std::string upload_id, int part_number,
                                                             std::string body) {
  HttpRequest request;
  request.method = "PUT";
  request.query = build_query({{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}});
  request.body = std::move(body);
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  auto etag = response->header("ETag");
  if (!etag) co_return invalid_response(*response, "UploadPart response has no ETag");
  co_return std::string(*etag);
}

asio::awaitable<S3Result<std::string>> S3Client::complete_multipart_upload(std::string bucket,
                                                                           std::string key,
                                                                           std::string upload_id,
                                                                           std::vector<CompletedPart> parts) {
  std::sort(parts.begin(), parts.end(),
            [](const CompletedPart& a, const CompletedPart& b) { return a.part_number < b.part_number; });
  HttpRequest request;
  request.method = "POST";
  request.query = build_query({{"uploadId", upload_id}});
  request.headers.push_back({"Content-Type", "application/xml"});
  request.body = complete_multipart_upload_body(parts);
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  // S3 may answer 200 and report the failure in the body (spec §3.2).
  if (is_error_document(response->body)) co_return s3_error_from_response(*response);
  auto etag = parse_complete_multipart_upload(response->body);
  if (!etag)
    co_return invalid_response(*response, "CompleteMultipartUpload response is not a result document");
  co_return std::move(*etag);
}

asio::awaitable<S3Result<void>> S3Client::abort_multipart_upload(std::string bucket, std::string key,
                                                                 std::string upload_id) {
  HttpRequest request;
  request.method = "DELETE";
  request.query = build_query({{"uploadId", upload_id}});
  auto response = co_await call(std::move(bucket), std::move(key), std::move(request));
  if (!response) co_return response.error();
  co_return S3Result<void>{};
}

MultipartUploader::MultipartUploader(S3Client& client, std::string bucket, std::string key,
                                     std::size_t part_size, std::string content_type)
    : client_(client),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      part_size_(std::max(part_size, kMinPartSize)),
      content_type_(std::move(content_type)) {}

asio::awaitable<S3Result<void>> MultipartUploader::upload_buffered_part(std::size_t size) {
  if (!upload_id_) {
    auto created = co_await client_.create_multipart_upload(bucket_, key_, content_type_);
    if (!created) co_return created.error();
    upload_id_ = std::move(*created);
  }
  // Hand the buffer itself to the request and keep only the (small) tail: no copy of the part, and the
  // buffer's capacity leaves with it instead of staying allocated beside the part in flight.
  std::string part;
  part.swap(buffer_);
  if (part.size() > size) {
    buffer_.assign(part, size, std::string::npos);
    part.resize(size);
  }
  int number = static_cast<int>(parts_.size()) + 1;
  auto etag = co_await client_.upload_part(bucket_, key_, *upload_id_, number, std::move(part));
  if (!etag) co_return etag.error();
  parts_.push_back({number, std::move(*etag)});
  co_return S3Result<void>{};
}

asio::awaitable<void> MultipartUploader::abort_quietly() {
  finished_ = true;
  buffer_.clear();
  if (!upload_id_) co_return;
  // Best effort: the original error is what the caller needs to see.
  co_await client_.abort_multipart_upload(bucket_, key_, *upload_id_);
  upload_id_.reset();
}

asio::awaitable<S3Result<void>> MultipartUploader::write(std::string_view bytes) {
  if (finished_) co_return S3Error{0, "UploaderClosed", "write after finish/abort", {}};
  buffer_.append(bytes);
  bytes_written_ += bytes.size();
  while (buffer_.size() >= part_size_) {
    auto uploaded = co_await upload_buffered_part(part_size_);
    if (!uploaded) {
      co_await abort_quietly();
      co_return uploaded.error();
    }
  }
  co_return S3Result<void>{};
}

asio::awaitable<S3Result<std::string>> MultipartUploader::finish() {
  if (finished_) co_return S3Error{0, "UploaderClosed", "finish after finish/abort", {}};
  if (!upload_id_) {
    // Everything fit in one part: a single PutObject is cheaper and valid for an empty object too.
    finished_ = true;
    auto put = co_await client_.put_object(bucket_, key_, std::move(buffer_), content_type_);
    buffer_.clear();
    if (!put) co_return put.error();
    co_return std::move(put->etag);
  }
  if (!buffer_.empty()) {
    auto last = co_await upload_buffered_part(buffer_.size());
    if (!last) {
      co_await abort_quietly();
      co_return last.error();
    }
  }
  auto completed = co_await client_.complete_multipart_upload(bucket_, key_, *upload_id_, parts_);
  if (!completed) {
    co_await abort_quietly();
    co_return completed.error();
  }
  finished_ = true;
  co_return std::move(*completed);
}

asio::awaitable<S3Result<void>> MultipartUploader::abort() {
  // After finish() or a failure (which already aborted) there is nothing left to cancel.
  if (finished_) co_return S3Result<void>{};
  finished_ = true;
  buffer_.clear();
  if (!upload_id_) co_return S3Result<void>{};
  auto aborted = co_await client_.abort_multipart_upload(bucket_, key_, *upload_id_);
  upload_id_.reset();
  if (!aborted) co_return aborted.error();
  co_return S3Result<void>{};
}

}  // namespace batchgate::aws
