#include "server/aws/s3_client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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
                                                             std::string_view body) {
  HttpRequest request;
  request.method = "PUT";
  request.query = build_query({{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}});
  request.borrowed_body = body;
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

asio::awaitable<S3Result<std::vector<OpenUpload>>> S3Client::list_multipart_uploads(std::string bucket,
                                                                                    std::string prefix) {
  std::vector<OpenUpload> all;
  std::string key_marker;
  std::string upload_id_marker;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> params{{"encoding-type", "url"}};
    if (!key_marker.empty()) params.emplace_back("key-marker", key_marker);
    if (!prefix.empty()) params.emplace_back("prefix", prefix);
    if (!upload_id_marker.empty()) params.emplace_back("upload-id-marker", upload_id_marker);
    params.emplace_back("uploads", "");
    HttpRequest request;
    request.query = build_query(params);
    auto response = co_await call(bucket, "", std::move(request));
    if (!response) co_return response.error();
    auto page = parse_list_multipart_uploads(response->body);
    if (!page)
      co_return invalid_response(*response, "ListMultipartUploads response is not a ListMultipartUploadsResult");
    std::move(page->uploads.begin(), page->uploads.end(), std::back_inserter(all));
    if (!page->is_truncated || (page->next_key_marker.empty() && page->next_upload_id_marker.empty())) co_return all;
    key_marker = std::move(page->next_key_marker);
    upload_id_marker = std::move(page->next_upload_id_marker);
  }
}

MultipartUploader::MultipartUploader(S3Client& client, std::string bucket, std::string key,
                                     std::size_t part_size, std::string content_type)
    : client_(client),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      part_size_(std::max(part_size, kMinPartSize)),
      content_type_(std::move(content_type)) {}

// The state a part upload shares with the uploader: the coroutine sending it owns a reference, so an
// uploader destroyed mid-part (its owner gone) leaves the part to finish on its own.
struct MultipartUploader::PartInFlight {
  explicit PartInFlight(asio::any_io_executor ex) : done(std::move(ex), 1) {}
  int number = 0;
  std::string body;
  S3Result<std::string> etag{S3Error{}};
  asio::experimental::concurrent_channel<void(boost::system::error_code)> done;
};

asio::awaitable<S3Result<void>> MultipartUploader::start_part() {
  if (!upload_id_) {
    auto created = co_await client_.create_multipart_upload(bucket_, key_, content_type_);
    if (!created) co_return created.error();
    upload_id_ = std::move(*created);
  }
  if (auto waited = co_await wait_for_part(); !waited) co_return waited.error();
  auto part = std::make_shared<PartInFlight>(co_await asio::this_coro::executor);
  part->number = static_cast<int>(parts_.size()) + 1;
  part->body.swap(buffer_);
  buffer_.swap(spare_);
  in_flight_ = part;
  asio::co_spawn(
      co_await asio::this_coro::executor,
      [](std::shared_ptr<PartInFlight> part, S3Client& client, std::string bucket, std::string key,
         std::string upload_id) -> asio::awaitable<void> {
        try {
          part->etag = co_await client.upload_part(std::move(bucket), std::move(key), std::move(upload_id),
                                                   part->number, part->body);
        } catch (const std::exception& e) {
          part->etag = S3Error{0, "InternalError", e.what(), {}};
        }
        part->done.try_send(boost::system::error_code{});
      }(part, client_, bucket_, key_, *upload_id_),
      asio::detached);
  co_return S3Result<void>{};
}

asio::awaitable<S3Result<void>> MultipartUploader::wait_for_part() {
  if (!in_flight_) co_return S3Result<void>{};
  std::shared_ptr<PartInFlight> part = std::move(in_flight_);
  co_await part->done.async_receive(asio::as_tuple(asio::use_awaitable));
  spare_ = std::move(part->body);
  spare_.clear();
  if (!part->etag) co_return part->etag.error();
  parts_.push_back({part->number, std::move(*part->etag)});
  co_return S3Result<void>{};
}

asio::awaitable<void> MultipartUploader::abort_quietly() {
  finished_ = true;
  co_await wait_for_part();
  buffer_.clear();
  if (!upload_id_) co_return;
  // Best effort: the original error is what the caller needs to see.
  co_await client_.abort_multipart_upload(bucket_, key_, *upload_id_);
  upload_id_.reset();
}

asio::awaitable<S3Result<void>> MultipartUploader::write(std::string_view bytes) {
  if (finished_) co_return S3Error{0, "UploaderClosed", "write after finish/abort", {}};
  bytes_written_ += bytes.size();
  while (!bytes.empty()) {
    // Reserved once per buffer (untouched pages cost nothing): no regrowth, no copy into a larger block.
    if (buffer_.capacity() < part_size_) buffer_.reserve(part_size_);
    const std::size_t take = std::min(bytes.size(), part_size_ - buffer_.size());
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (buffer_.size() < part_size_) break;
    if (auto started = co_await start_part(); !started) {
      co_await abort_quietly();
      co_return started.error();
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
    if (auto last = co_await start_part(); !last) {
      co_await abort_quietly();
      co_return last.error();
    }
  }
  if (auto waited = co_await wait_for_part(); !waited) {
    co_await abort_quietly();
    co_return waited.error();
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
  co_await wait_for_part();
  buffer_.clear();
  if (!upload_id_) co_return S3Result<void>{};
  auto aborted = co_await client_.abort_multipart_upload(bucket_, key_, *upload_id_);
  upload_id_.reset();
  if (!aborted) co_return aborted.error();
  co_return S3Result<void>{};
}

}  // namespace batchgate::aws
