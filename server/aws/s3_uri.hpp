#pragma once
// "s3://bucket/key" URIs, as Bedrock job configurations and our file rows name S3 objects. Asio-free.

#include <optional>
#include <string>
#include <string_view>

namespace batchgate::aws {

struct S3Location {
  std::string bucket;
  std::string key;  // "" for the bucket root

  bool operator==(const S3Location&) const = default;
};

std::string s3_uri(std::string_view bucket, std::string_view key);
inline std::string s3_uri(const S3Location& location) {
  return s3_uri(location.bucket, location.key);
}

// "s3://bucket/a/b" → {bucket, "a/b"}; "s3://bucket" → {bucket, ""}; nullopt without the s3:// scheme or a
// bucket.
std::optional<S3Location> parse_s3_uri(std::string_view uri);

// "prefix/rest", or "rest" when the prefix is empty.
std::string join_key(std::string_view prefix, std::string_view rest);

}  // namespace batchgate::aws
