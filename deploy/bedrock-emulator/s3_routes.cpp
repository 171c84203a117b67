#include "s3_routes.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "s3_auth.hpp"
#include "s3_xml.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxKeyBytes = 1024;  // S3's key length limit

// First path segments the Bedrock router answers (router.cpp): they are never buckets.
bool bedrock_segment(std::string_view segment) {
  return segment == "_emulator" || segment == "model" || segment == "model-invocation-job" ||
         segment == "model-invocation-jobs";
}

std::optional<std::string_view> param(const Query& query, std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

bool signed_for_s3(const aws::Headers& headers) {
  const auto header = aws::find_header(headers, "authorization");
  if (!header) return false;
  const auto parsed = aws::parse_authorization(*header);
  return parsed && parsed->service == "s3";
}

std::optional<S3Operation> bucket_operation(std::string_view method, const Query& query) {
  if (method == "PUT" && query.empty()) return S3Operation::kCreateBucket;
  if (method == "HEAD") return S3Operation::kHeadBucket;
  if (method == "GET" && param(query, "uploads")) return S3Operation::kListUploads;
  if (method == "GET" && param(query, "list-type") == "2") return S3Operation::kListObjects;
  return std::nullopt;
}

std::optional<S3Operation> object_operation(std::string_view method, const Query& query) {
  const bool upload_id = param(query, "uploadId").has_value();
  if (method == "PUT")
    return upload_id && param(query, "partNumber") ? S3Operation::kUploadPart : S3Operation::kPutObject;
  if (method == "GET") return S3Operation::kGetObject;
  if (method == "HEAD") return S3Operation::kHeadObject;
  if (method == "DELETE") return upload_id ? S3Operation::kAbortUpload : S3Operation::kDeleteObject;
  if (method == "POST" && param(query, "uploads")) return S3Operation::kCreateUpload;
  if (method == "POST" && upload_id) return S3Operation::kCompleteUpload;
  return std::nullopt;
}

S3Failure not_implemented(std::string what) {
  return {501, "NotImplemented",
          "A header or query you provided implies functionality that is not implemented: " + std::move(what)};
}

// A number query parameter in [0, limit]; S3 caps max-keys/max-uploads at 1000 rather than rejecting more.
std::optional<int> page_size(const Query& query, std::string_view name) {
  const auto text = param(query, name);
  if (!text) return 1000;
  long long value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size() || value < 0) return std::nullopt;
  return static_cast<int>(std::min<long long>(value, 1000));
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (error != std::errc{} || end != hex.data() + i + 2) return std::nullopt;
    out += static_cast<char>(value);
  }
  return out;
}

std::string_view unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag.substr(1, etag.size() - 2);
  return etag;
}

struct ByteSpan {
  bool satisfiable = true;
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

// A Range header against an object of `size` bytes: "bytes=a-b", "bytes=a-" or "bytes=-n" (spec §3.2).
// nullopt for anything else (multi-ranges, other units, a > b), which S3 ignores and answers with 200.
std::optional<ByteSpan> byte_span(std::string_view header, std::uint64_t size) {
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix) || header.find(',') != std::string_view::npos) return std::nullopt;
  header.remove_prefix(kPrefix.size());
  const auto dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view text) -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
  };
  const auto first = number(header.substr(0, dash));
  const auto last = number(header.substr(dash + 1));
  if (!first && !last) return std::nullopt;
  if (!first) {  // suffix: the last n bytes
    if (*last == 0 || size == 0) return ByteSpan{false};
    const std::uint64_t n = std::min(*last, size);
    return ByteSpan{true, size - n, n};
  }
  if (last && *last < *first) return std::nullopt;
  if (*first >= size) return ByteSpan{false};
  const std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return ByteSpan{true, *first, end - *first + 1};
}

ObjectMeta meta_from(const aws::Headers& headers) {
  ObjectMeta meta;
  meta.content_type = std::string(aws::find_header(headers, "content-type").value_or(""));
  for (const char* name : {"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"}) {
    if (auto value = aws::find_header(headers, name)) meta.sse.push_back({name, std::string(*value)});
  }
  return meta;
}

}  // namespace

S3Routes::S3Routes(AuthSettings auth, S3Store::Clock clock)
    : auth_(std::move(auth)), clock_(clock), store_(std::move(clock)) {}

std::optional<S3Call> S3Routes::classify(std::string_view method, std::string_view target,
                                         const aws::Headers& headers) {
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  if (!path.starts_with('/')) return std::nullopt;
  const std::string_view rest = path.substr(1);
  const auto slash = rest.find('/');
  const std::string_view bucket = rest.substr(0, slash);
  if (bucket.empty() || bedrock_segment(bucket)) return std::nullopt;
  S3Call call;
  call.method = std::string(method);
  call.bucket = std::string(bucket);
  call.key = slash == std::string_view::npos ? std::string() : aws::uri_decode(rest.substr(slash + 1));
  call.query = aws::parse_query_string(qmark == std::string_view::npos ? "" : target.substr(qmark + 1));
  const auto operation =
      call.key.empty() ? bucket_operation(method, call.query) : object_operation(method, call.query);
  const bool create_bucket = operation == S3Operation::kCreateBucket;
  if (!create_bucket && !store_.has_bucket(bucket) && !signed_for_s3(headers)) return std::nullopt;
  call.operation = operation.value_or(S3Operation::kHeadBucket);
  std::optional<S3Failure> failure = verify_s3_signature(auth_, clock_(), method, target, headers);
  if (!failure && !operation) failure = not_implemented(call.method + " " + std::string(path));
  if (!failure) failure = check_call(call, headers);
  if (failure) call.rejection = this->failure(call, *failure);
  return call;
}

std::optional<S3Failure> S3Routes::check_call(const S3Call& call, const aws::Headers& headers) const {
  if (call.operation != S3Operation::kCreateBucket && !store_.has_bucket(call.bucket))
    return no_such_bucket();
  if (call.key.size() > kMaxKeyBytes) {
    return S3Failure{400, "KeyTooLongError", "Your key is too long (at most 1024 bytes)."};
  }
  // The aws-chunked framing of streaming uploads is not decoded; SDKs only stream over HTTPS (spec §3.5).
  const auto payload = aws::find_header(headers, "x-amz-content-sha256");
  if (payload && payload->starts_with("STREAMING-"))
    return not_implemented("x-amz-content-sha256: " + std::string(*payload));
  if (aws::find_header(headers, "x-amz-copy-source")) return not_implemented("x-amz-copy-source");
  return std::nullopt;
}

S3Reply S3Routes::reply(int status, std::string xml) {
  char request_id[24];
  std::snprintf(request_id, sizeof request_id, "%016llX", static_cast<unsigned long long>(++requests_));
  S3Reply out;
  out.status = status;
  out.headers.push_back({"x-amz-request-id", request_id});
  out.headers.push_back({"x-amz-id-2", request_id});
  if (!xml.empty()) out.headers.push_back({"Content-Type", "application/xml"});
  out.body = std::move(xml);
  return out;
}

S3Reply S3Routes::failure(const S3Call& call, const S3Failure& failure) {
  S3Reply out = reply(failure.status);
  if (call.method == "HEAD") return out;
  std::vector<std::pair<std::string, std::string>> context{{"BucketName", call.bucket}};
  if (!call.key.empty()) context.emplace_back("Key", call.key);
  if (auto upload_id = param(call.query, "uploadId"))
    context.emplace_back("UploadId", std::string(*upload_id));
  const std::string request_id(*aws::find_header(out.headers, "x-amz-request-id"));
  out.body = error_document(failure, context, request_id);
  out.headers.push_back({"Content-Type", "application/xml"});
  return out;
}

S3Reply S3Routes::handle(const S3Call& call, const aws::Headers& headers, S3Body body) {
  switch (call.operation) {
    case S3Operation::kCreateBucket: {
      if (auto error = store_.create_bucket(call.bucket)) return failure(call, *error);
      S3Reply out = reply(200);
      out.headers.push_back({"Location", "/" + call.bucket});
      return out;
    }
    case S3Operation::kHeadBucket: {
      S3Reply out = reply(200);
      out.headers.push_back({"x-amz-bucket-region", auth_.region});
      return out;
    }
    case S3Operation::kListObjects:
      return list_objects(call);
    case S3Operation::kListUploads:
      return list_uploads(call);
    case S3Operation::kPutObject:
      return put_object(call, headers, std::move(body));
    case S3Operation::kGetObject:
    case S3Operation::kHeadObject:
      return object_reply(call, headers);
    case S3Operation::kDeleteObject:
      if (auto error = store_.delete_object(call.bucket, call.key)) return failure(call, *error);
      return reply(204);
    case S3Operation::kCreateUpload:
      return create_upload(call, headers);
    case S3Operation::kUploadPart:
      return upload_part(call, std::move(body));
    case S3Operation::kCompleteUpload:
      return complete_upload(call, headers, body);
    case S3Operation::kAbortUpload:
      if (auto error = store_.abort_upload(call.bucket, call.key, *param(call.query, "uploadId"))) {
        return failure(call, *error);
      }
      return reply(204);
  }
  return failure(call, not_implemented(call.method));
}

S3Reply S3Routes::put_object(const S3Call& call, const aws::Headers& headers, S3Body body) {
  ObjectMeta meta = meta_from(headers);
  aws::Headers echoed = meta.sse;
  auto etag = store_.put_object(call.bucket, call.key, std::move(body.bytes), body.md5, std::move(meta));
  if (auto* error = std::get_if<S3Failure>(&etag)) return failure(call, *error);
  S3Reply out = reply(200);
  out.headers.push_back({"ETag", std::get<std::string>(etag)});
  for (auto& header : echoed) out.headers.push_back(std::move(header));
  return out;
}

S3Reply S3Routes::object_reply(const S3Call& call, const aws::Headers& headers) {
  auto found = store_.get_object(call.bucket, call.key);
  if (auto* error = std::get_if<S3Failure>(&found)) return failure(call, *error);
  ObjectPtr object = std::get<ObjectPtr>(std::move(found));
  if (auto match = aws::find_header(headers, "if-match");
      match && *match != "*" && unquoted(*match) != unquoted(object->etag)) {
    return failure(
        call, {412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"});
  }
  S3Reply out = reply(200);
  out.head = call.method == "HEAD";
  out.length = object->size;
  if (auto range = aws::find_header(headers, "range")) {
    if (auto span = byte_span(*range, object->size)) {
      if (!span->satisfiable) {
        S3Reply refused = failure(call, {416, "InvalidRange", "The requested range is not satisfiable"});
        refused.headers.push_back({"Content-Range", "bytes */" + std::to_string(object->size)});
        return refused;
      }
      out.status = 206;
      out.offset = span->first;
      out.length = span->length;
      out.headers.push_back({"Content-Range", "bytes " + std::to_string(span->first) + "-" +
                                                  std::to_string(span->first + span->length - 1) + "/" +
                                                  std::to_string(object->size)});
    }
  }
  out.headers.push_back({"ETag", object->etag});
  out.headers.push_back({"Last-Modified", format_http_date(object->last_modified)});
  out.headers.push_back({"Content-Type", object->meta.content_type.empty() ? "binary/octet-stream"
                                                                           : object->meta.content_type});
  out.headers.push_back({"Accept-Ranges", "bytes"});
  for (const auto& header : object->meta.sse) out.headers.push_back(header);
  out.object = std::move(object);
  return out;
}

S3Reply S3Routes::list_objects(const S3Call& call) {
  if (auto delimiter = param(call.query, "delimiter"); delimiter && !delimiter->empty()) {
    return failure(call, not_implemented("delimiter (keys are listed without grouping)"));
  }
  const auto encoding = param(call.query, "encoding-type");
  if (encoding && *encoding != "url") {
    return failure(call, invalid_argument("Invalid Encoding Method specified in Request"));
  }
  const auto max_keys = page_size(call.query, "max-keys");
  if (!max_keys)
    return failure(call, invalid_argument("Provided max-keys not an integer or within integer range"));
  ListObjectsQuery query;
  query.prefix = std::string(param(call.query, "prefix").value_or(""));
  query.max_keys = *max_keys;
  const std::string_view start_after = param(call.query, "start-after").value_or("");
  query.after = std::string(start_after);
  // Continuation tokens are the hex of the last key listed; opaque to clients, as on S3.
  std::optional<std::string> token;
  if (auto given = param(call.query, "continuation-token")) {
    auto after = hex_decode(*given);
    if (!after || after->empty())
      return failure(call, invalid_argument("The continuation token provided is incorrect"));
    token = std::string(*given);
    query.after = std::move(*after);
  }
  auto listed = store_.list_objects(call.bucket, query);
  if (auto* error = std::get_if<S3Failure>(&listed)) return failure(call, *error);
  const auto& page = std::get<ObjectPage>(listed);
  std::optional<std::string> next;
  if (page.truncated && !page.objects.empty()) next = aws::hex_encode(page.objects.back().first);
  return reply(200, list_objects_document({call.bucket, query, start_after, std::move(token), std::move(next),
                                           encoding.has_value(), page}));
}

S3Reply S3Routes::list_uploads(const S3Call& call) {
  if (auto delimiter = param(call.query, "delimiter"); delimiter && !delimiter->empty()) {
    return failure(call, not_implemented("delimiter (uploads are listed without grouping)"));
  }
  const auto encoding = param(call.query, "encoding-type");
  if (encoding && *encoding != "url") {
    return failure(call, invalid_argument("Invalid Encoding Method specified in Request"));
  }
  const auto max_uploads = page_size(call.query, "max-uploads");
  if (!max_uploads)
    return failure(call, invalid_argument("Provided max-uploads not an integer or within integer range"));
  ListUploadsQuery query;
  query.prefix = std::string(param(call.query, "prefix").value_or(""));
  query.key_marker = std::string(param(call.query, "key-marker").value_or(""));
  query.upload_id_marker = std::string(param(call.query, "upload-id-marker").value_or(""));
  query.max_uploads = *max_uploads;
  auto listed = store_.list_uploads(call.bucket, query);
  if (auto* error = std::get_if<S3Failure>(&listed)) return failure(call, *error);
  return reply(
      200, list_uploads_document({call.bucket, query, encoding.has_value(), std::get<UploadPage>(listed)}));
}

S3Reply S3Routes::create_upload(const S3Call& call, const aws::Headers& headers) {
  ObjectMeta meta = meta_from(headers);
  aws::Headers echoed = meta.sse;
  auto created = store_.create_upload(call.bucket, call.key, std::move(meta));
  if (auto* error = std::get_if<S3Failure>(&created)) return failure(call, *error);
  S3Reply out = reply(200, initiate_upload_document(call.bucket, call.key, std::get<std::string>(created)));
  for (auto& header : echoed) out.headers.push_back(std::move(header));
  return out;
}

S3Reply S3Routes::upload_part(const S3Call& call, S3Body body) {
  const std::string_view text = *param(call.query, "partNumber");
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return failure(call, invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
  }
  auto etag = store_.upload_part(call.bucket, call.key, *param(call.query, "uploadId"), number,
                                 std::move(body.bytes), body.md5);
  if (auto* failed = std::get_if<S3Failure>(&etag)) return failure(call, *failed);
  S3Reply out = reply(200);
  out.headers.push_back({"ETag", std::get<std::string>(etag)});
  return out;
}

S3Reply S3Routes::complete_upload(const S3Call& call, const aws::Headers& headers, const S3Body& body) {
  const auto parts = parse_complete_upload(body.bytes ? std::string_view(*body.bytes) : std::string_view());
  if (!parts) {
    return failure(call,
                   {400, "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published "
                    "schema"});
  }
  auto completed = store_.complete_upload(call.bucket, call.key, *param(call.query, "uploadId"), *parts);
  if (auto* error = std::get_if<S3Failure>(&completed)) return failure(call, *error);
  const ObjectPtr& object = std::get<ObjectPtr>(completed);
  const std::string host(aws::find_header(headers, "host").value_or("localhost"));
  const std::string location = "http://" + host + "/" + call.bucket + "/" + aws::uri_encode(call.key, true);
  S3Reply out = reply(200, complete_upload_document(location, call.bucket, call.key, object->etag));
  for (const auto& header : object->meta.sse) out.headers.push_back(header);
  return out;
}

}  // namespace batchgate::bedrock_emulator
