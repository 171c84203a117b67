#include "server/aws/s3_uri.hpp"

namespace batchgate::aws {

std::string s3_uri(std::string_view bucket, std::string_view key) {
  std::string uri = "s3://";
  uri += bucket;
  uri += '/';
  uri += key;
  return uri;
}

std::optional<S3Location> parse_s3_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "s3://";
  if (!uri.starts_with(kScheme)) return std::nullopt;
  uri.remove_prefix(kScheme.size());
  const auto slash = uri.find('/');
  S3Location location{std::string(uri.substr(0, slash)), {}};
  if (location.bucket.empty()) return std::nullopt;
  if (slash != std::string_view::npos) location.key = std::string(uri.substr(slash + 1));
  return location;
}

std::string join_key(std::string_view prefix, std::string_view rest) {
  if (prefix.empty()) return std::string(rest);
  std::string key(prefix);
  key += '/';
  key += rest;
  return key;
}

}  // namespace batchgate::aws
