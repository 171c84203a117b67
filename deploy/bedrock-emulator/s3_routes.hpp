#pragma once

// The HTTP side of `--serve-s3` without a transport (README.md "S3"): which requests are S3's (path-style
// `/{bucket}` and `/{bucket}/{key...}`; the Bedrock paths keep priority), their SigV4 check, and the
// operations on S3Store with S3's statuses, headers and XML (spec/aws-sigv4-s3.md §3). s3_session.cpp reads
// the body between classify() and handle() and streams object bytes out of S3Reply::object.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth_settings.hpp"
#include "s3_store.hpp"
#include "server/aws/http_types.hpp"

namespace batchgate::bedrock_emulator {

enum class S3Operation {
  kCreateBucket,
  kHeadBucket,
  kListObjects,  // ListObjectsV2
  kListUploads,  // ListMultipartUploads
  kPutObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kCreateUpload,  // CreateMultipartUpload
  kUploadPart,
  kCompleteUpload,
  kAbortUpload,
};

struct S3Reply {
  int status = 200;
  aws::Headers headers;  // Content-Length excluded: content_length() gives it
  std::string body;      // XML, or empty
  // GetObject and HeadObject: the object and which of its bytes to send (the Range, or all of them).
  ObjectPtr object;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool head = false;  // a HEAD request: headers only, Content-Length as GET would send

  std::uint64_t content_length() const { return object ? length : body.size(); }
};

struct S3Call {
  S3Operation operation = S3Operation::kHeadBucket;
  std::string method;
  std::string bucket;
  std::string key;                                         // percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded
  // The answer when the request fails before its body is read: authentication, a missing bucket, a request
  // the emulator does not implement.
  std::optional<S3Reply> rejection;

  // PutObject and UploadPart bodies are object bytes; other bodies are small XML documents.
  bool stores_body() const {
    return operation == S3Operation::kPutObject || operation == S3Operation::kUploadPart;
  }
};

// A request body as the session read it.
struct S3Body {
  Bytes bytes;
  std::string md5;  // raw MD5 of bytes, for stored bodies
};

class S3Routes {
 public:
  static constexpr std::uint64_t kMaxObjectBytes = std::uint64_t{5} << 30;  // S3's largest single PUT
  // A CompleteMultipartUpload naming 10000 parts stays below this.
  static constexpr std::uint64_t kMaxDocumentBytes = std::uint64_t{2} << 20;

  S3Routes(AuthSettings auth, S3Store::Clock clock);

  // nullopt: not an S3 request; the Bedrock router answers it. S3 claims every path under a bucket that
  // exists, CreateBucket, and any request signed for service `s3` (so a missing bucket is NoSuchBucket).
  std::optional<S3Call> classify(std::string_view method, std::string_view target,
                                 const aws::Headers& headers);
  // Runs the classified call (without a rejection) on the store; `headers` are the request's.
  S3Reply handle(const S3Call& call, const aws::Headers& headers, S3Body body);
  // The reply for `failure` in the context of `call`; HEAD replies carry no body (spec §3.2).
  S3Reply failure(const S3Call& call, const S3Failure& failure);

  S3Store& store() { return store_; }

 private:
  std::optional<S3Failure> check_call(const S3Call& call, const aws::Headers& headers) const;
  S3Reply object_reply(const S3Call& call, const aws::Headers& headers);
  S3Reply put_object(const S3Call& call, const aws::Headers& headers, S3Body body);
  S3Reply list_objects(const S3Call& call);
  S3Reply list_uploads(const S3Call& call);
  S3Reply create_upload(const S3Call& call, const aws::Headers& headers);
  S3Reply upload_part(const S3Call& call, S3Body body);
  S3Reply complete_upload(const S3Call& call, const aws::Headers& headers, const S3Body& body);
  S3Reply reply(int status, std::string xml = {});  // adds x-amz-request-id and x-amz-id-2

  AuthSettings auth_;
  S3Store::Clock clock_;
  S3Store store_;
  std::uint64_t requests_ = 0;
};

}  // namespace batchgate::bedrock_emulator
