#pragma once

// The in-memory S3 behind `--serve-s3` (README.md "S3"): buckets, objects and multipart uploads with the
// rules of spec/aws-sigv4-s3.md §3. No I/O and no HTTP: s3_routes.cpp maps requests onto it and
// s3_session.cpp moves the bytes. Object bytes are immutable shared strings, so a GetObject in flight keeps
// streaming its bytes while a PutObject replaces the object. The emulator runs one I/O thread, the only one
// that touches the store, so it needs no locking.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "server/aws/http_types.hpp"
#include "timestamps.hpp"

namespace batchgate::bedrock_emulator {

using Bytes = std::shared_ptr<const std::string>;

// An S3 error (spec §3.6): status, code and S3's message.
struct S3Failure {
  int status = 400;
  std::string code;
  std::string message;
};

// What PutObject / CreateMultipartUpload were given that GetObject and HeadObject send back.
struct ObjectMeta {
  std::string content_type;
  aws::Headers sse;  // x-amz-server-side-encryption and its KMS key id, echoed (spec §3.4)
};

struct StoredObject {
  std::vector<Bytes> segments;  // the PutObject body, or the parts of a completed multipart upload
  std::uint64_t size = 0;
  std::string etag;  // quoted MD5 hex; for multipart the MD5 of the part MD5s plus "-N" (spec §3.3)
  TimePoint last_modified;
  ObjectMeta meta;
};
using ObjectPtr = std::shared_ptr<const StoredObject>;

struct ListObjectsQuery {
  std::string prefix;
  std::string after;  // start-after, or the key a continuation token stands for: lists keys > after
  int max_keys = 1000;
};

struct ObjectPage {
  std::vector<std::pair<std::string, ObjectPtr>> objects;  // in UTF-8 byte order, as S3 lists
  bool truncated = false;                                  // more keys follow objects.back()
};

struct ListUploadsQuery {
  std::string prefix;
  std::string key_marker;
  std::string upload_id_marker;  // with key_marker: that key's uploads after this one are listed too
  int max_uploads = 1000;
};

struct UploadSummary {
  std::string key;
  std::string upload_id;
  TimePoint initiated;
};

struct UploadPage {
  std::vector<UploadSummary> uploads;  // by key, then by initiation
  bool truncated = false;
};

struct PartRef {
  int part_number = 0;
  std::string etag;  // quotes optional
};

class S3Store {
 public:
  using Clock = std::function<TimePoint()>;
  static constexpr std::uint64_t kMinPartSize = 5 * 1024 * 1024;  // every part but the last (spec §3.3)
  static constexpr int kMaxPartNumber = 10000;

  explicit S3Store(Clock clock);

  std::optional<S3Failure> create_bucket(std::string_view bucket);
  bool has_bucket(std::string_view bucket) const;

  // → the ETag. `md5` is the raw MD5 of `body`, computed while the body arrived.
  std::variant<std::string, S3Failure> put_object(std::string_view bucket, std::string_view key, Bytes body,
                                                  std::string_view md5, ObjectMeta meta);
  std::variant<ObjectPtr, S3Failure> get_object(std::string_view bucket, std::string_view key) const;
  // Deleting a missing key succeeds, as on S3.
  std::optional<S3Failure> delete_object(std::string_view bucket, std::string_view key);
  std::variant<ObjectPage, S3Failure> list_objects(std::string_view bucket,
                                                   const ListObjectsQuery& query) const;

  // → the upload id.
  std::variant<std::string, S3Failure> create_upload(std::string_view bucket, std::string_view key,
                                                     ObjectMeta meta);
  // → the part's ETag. Uploading a part number again replaces that part.
  std::variant<std::string, S3Failure> upload_part(std::string_view bucket, std::string_view key,
                                                   std::string_view upload_id, int part_number, Bytes body,
                                                   std::string_view md5);
  // Joins the listed parts (ascending, each as uploaded, all but the last ≥ kMinPartSize) into the object;
  // the parts themselves become its segments, nothing is copied.
  std::variant<ObjectPtr, S3Failure> complete_upload(std::string_view bucket, std::string_view key,
                                                     std::string_view upload_id,
                                                     const std::vector<PartRef>& parts);
  std::optional<S3Failure> abort_upload(std::string_view bucket, std::string_view key,
                                        std::string_view upload_id);
  std::variant<UploadPage, S3Failure> list_uploads(std::string_view bucket,
                                                   const ListUploadsQuery& query) const;

 private:
  struct Part {
    Bytes data;
    std::string md5;   // raw
    std::string etag;  // quoted
  };
  struct Upload {
    std::string key;
    ObjectMeta meta;
    TimePoint initiated;
    std::map<int, Part> parts;
  };
  struct Bucket {
    std::map<std::string, ObjectPtr, std::less<>> objects;
    std::map<std::string, Upload, std::less<>> uploads;  // by id; ids grow with initiation
  };

  Bucket* find_bucket(std::string_view bucket);
  const Bucket* find_bucket(std::string_view bucket) const;
  std::variant<Upload*, S3Failure> find_upload(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id);

  Clock clock_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  std::uint64_t uploads_created_ = 0;
};

// The S3 errors the store and the routes share.
S3Failure no_such_bucket();
S3Failure no_such_key();
S3Failure no_such_upload();
S3Failure invalid_argument(std::string message);

// "\"<32 hex>\"" for a raw MD5 digest.
std::string quoted_etag(std::string_view md5);

}  // namespace batchgate::bedrock_emulator
