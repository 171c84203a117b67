#include "s3_store.hpp"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "md5.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

namespace {

// Bucket naming rules of S3 (general purpose buckets): 3-63 characters of a-z 0-9 . -, starting and
// ending with a letter or digit.
bool valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string_view::npos)
    return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(name.front()) && alnum(name.back());
}

std::string_view unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag.substr(1, etag.size() - 2);
  return etag;
}

S3Failure invalid_part(int part_number) {
  return {400, "InvalidPart",
          "One or more of the specified parts could not be found. The part may not have been uploaded, or "
          "the specified entity tag may not match the part's entity tag. (part " +
              std::to_string(part_number) + ")"};
}

}  // namespace

S3Failure no_such_bucket() {
  return {404, "NoSuchBucket", "The specified bucket does not exist"};
}
S3Failure no_such_key() {
  return {404, "NoSuchKey", "The specified key does not exist."};
}
S3Failure no_such_upload() {
  return {404, "NoSuchUpload",
          "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
          "aborted or completed."};
}
S3Failure invalid_argument(std::string message) {
  return {400, "InvalidArgument", std::move(message)};
}

std::string quoted_etag(std::string_view md5) {
  return "\"" + aws::hex_encode(md5) + "\"";
}

S3Store::S3Store(Clock clock) : clock_(std::move(clock)) {}

S3Store::Bucket* S3Store::find_bucket(std::string_view bucket) {
  const auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : &it->second;
}

const S3Store::Bucket* S3Store::find_bucket(std::string_view bucket) const {
  const auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : &it->second;
}

bool S3Store::has_bucket(std::string_view bucket) const {
  return find_bucket(bucket) != nullptr;
}

std::optional<S3Failure> S3Store::create_bucket(std::string_view bucket) {
  if (!valid_bucket_name(bucket))
    return S3Failure{400, "InvalidBucketName", "The specified bucket is not valid."};
  if (!buckets_.try_emplace(std::string(bucket)).second) {
    return S3Failure{409, "BucketAlreadyOwnedByYou",
                     "Your previous request to create the named bucket succeeded and you already own it."};
  }
  return std::nullopt;
}

std::variant<std::string, S3Failure> S3Store::put_object(std::string_view bucket, std::string_view key,
                                                         Bytes body, std::string_view md5, ObjectMeta meta) {
  Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  auto object = std::make_shared<StoredObject>();
  object->size = body->size();
  object->segments.push_back(std::move(body));
  object->etag = quoted_etag(md5);
  object->last_modified = clock_();
  object->meta = std::move(meta);
  std::string etag = object->etag;
  found->objects.insert_or_assign(std::string(key), std::move(object));
  return etag;
}

std::variant<ObjectPtr, S3Failure> S3Store::get_object(std::string_view bucket, std::string_view key) const {
  const Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  const auto it = found->objects.find(key);
  if (it == found->objects.end()) return no_such_key();
  return it->second;
}

std::optional<S3Failure> S3Store::delete_object(std::string_view bucket, std::string_view key) {
  Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  if (const auto it = found->objects.find(key); it != found->objects.end()) found->objects.erase(it);
  return std::nullopt;
}

std::variant<ObjectPage, S3Failure> S3Store::list_objects(std::string_view bucket,
                                                          const ListObjectsQuery& query) const {
  const Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  // Keys > after that start with prefix: when after >= prefix every key past it is >= prefix too.
  auto it = query.after >= query.prefix ? found->objects.upper_bound(query.after)
                                        : found->objects.lower_bound(query.prefix);
  ObjectPage page;
  for (; it != found->objects.end() && it->first.starts_with(query.prefix); ++it) {
    if (static_cast<int>(page.objects.size()) >= query.max_keys) {
      page.truncated = true;
      break;
    }
    page.objects.emplace_back(it->first, it->second);
  }
  return page;
}

std::variant<std::string, S3Failure> S3Store::create_upload(std::string_view bucket, std::string_view key,
                                                            ObjectMeta meta) {
  Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  // Ids sort by initiation, which is the order ListMultipartUploads gives a key's uploads in.
  char id[40];
  std::snprintf(id, sizeof id, "emu-%016llx", static_cast<unsigned long long>(++uploads_created_));
  found->uploads.emplace(id, Upload{std::string(key), std::move(meta), clock_(), {}});
  return std::string(id);
}

std::variant<S3Store::Upload*, S3Failure> S3Store::find_upload(std::string_view bucket, std::string_view key,
                                                               std::string_view upload_id) {
  Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  const auto it = found->uploads.find(upload_id);
  if (it == found->uploads.end() || it->second.key != key) return no_such_upload();
  return &it->second;
}

std::variant<std::string, S3Failure> S3Store::upload_part(std::string_view bucket, std::string_view key,
                                                          std::string_view upload_id, int part_number,
                                                          Bytes body, std::string_view md5) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return invalid_argument("Part number must be an integer between 1 and 10000, inclusive");
  }
  auto upload = find_upload(bucket, key, upload_id);
  if (auto* failure = std::get_if<S3Failure>(&upload)) return std::move(*failure);
  std::string etag = quoted_etag(md5);
  std::get<Upload*>(upload)->parts.insert_or_assign(part_number,
                                                    Part{std::move(body), std::string(md5), etag});
  return etag;
}

std::variant<ObjectPtr, S3Failure> S3Store::complete_upload(std::string_view bucket, std::string_view key,
                                                            std::string_view upload_id,
                                                            const std::vector<PartRef>& parts) {
  auto found = find_upload(bucket, key, upload_id);
  if (auto* failure = std::get_if<S3Failure>(&found)) return std::move(*failure);
  Upload& upload = *std::get<Upload*>(found);
  if (parts.empty()) {
    return S3Failure{400, "MalformedXML",
                     "The XML you provided was not well-formed or did not validate against our published "
                     "schema"};
  }
  const auto unordered =
      std::adjacent_find(parts.begin(), parts.end(),
                         [](const PartRef& a, const PartRef& b) { return a.part_number >= b.part_number; });
  if (unordered != parts.end()) {
    return S3Failure{400, "InvalidPartOrder",
                     "The list of parts was not in ascending order. Parts must be ordered by part number."};
  }
  auto object = std::make_shared<StoredObject>();
  std::string part_md5s;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto part = upload.parts.find(parts[i].part_number);
    if (part == upload.parts.end() || unquoted(part->second.etag) != unquoted(parts[i].etag)) {
      return invalid_part(parts[i].part_number);
    }
    if (i + 1 < parts.size() && part->second.data->size() < kMinPartSize) {
      return S3Failure{400, "EntityTooSmall",
                       "Your proposed upload is smaller than the minimum allowed object size. (part " +
                           std::to_string(parts[i].part_number) + " has " +
                           std::to_string(part->second.data->size()) +
                           " bytes; every part but the last "
                           "needs at least 5 MiB)"};
    }
    object->segments.push_back(part->second.data);
    object->size += part->second.data->size();
    part_md5s += part->second.md5;
  }
  // Multipart ETag = MD5 of the concatenated binary part MD5s, then "-N" (spec §3.3).
  object->etag = "\"" + aws::hex_encode(md5_digest(part_md5s)) + "-" + std::to_string(parts.size()) + "\"";
  object->last_modified = clock_();
  object->meta = std::move(upload.meta);
  Bucket& owner = *find_bucket(bucket);
  owner.uploads.erase(owner.uploads.find(upload_id));
  ObjectPtr stored = std::move(object);
  owner.objects.insert_or_assign(std::string(key), stored);
  return stored;
}

std::optional<S3Failure> S3Store::abort_upload(std::string_view bucket, std::string_view key,
                                               std::string_view upload_id) {
  auto found = find_upload(bucket, key, upload_id);
  if (auto* failure = std::get_if<S3Failure>(&found)) return std::move(*failure);
  Bucket& owner = *find_bucket(bucket);
  owner.uploads.erase(owner.uploads.find(upload_id));
  return std::nullopt;
}

std::variant<UploadPage, S3Failure> S3Store::list_uploads(std::string_view bucket,
                                                          const ListUploadsQuery& query) const {
  const Bucket* found = find_bucket(bucket);
  if (found == nullptr) return no_such_bucket();
  std::vector<UploadSummary> all;
  for (const auto& [id, upload] : found->uploads) {
    if (upload.key.starts_with(query.prefix)) all.push_back({upload.key, id, upload.initiated});
  }
  std::sort(all.begin(), all.end(), [](const UploadSummary& a, const UploadSummary& b) {
    return std::tie(a.key, a.upload_id) < std::tie(b.key, b.upload_id);
  });
  // After the markers: later keys, and with an upload-id-marker also the marker key's later uploads.
  const auto after_markers = [&](const UploadSummary& u) {
    if (query.key_marker.empty()) return true;
    if (u.key != query.key_marker) return u.key > query.key_marker;
    return !query.upload_id_marker.empty() && u.upload_id > query.upload_id_marker;
  };
  UploadPage page;
  for (auto& upload : all) {
    if (!after_markers(upload)) continue;
    if (static_cast<int>(page.uploads.size()) >= query.max_uploads) {
      page.truncated = true;
      break;
    }
    page.uploads.push_back(std::move(upload));
  }
  return page;
}

}  // namespace batchgate::bedrock_emulator
