#include "server/api/auth.hpp"

#include <algorithm>
#include <cctype>

#include "server/common/secrets.hpp"

namespace batchgate::api {

std::optional<std::string> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::optional<std::string> presented_key(std::string_view litellm_api_key, std::string_view authorization) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  std::string_view key = trim(litellm_api_key);
  if (key.empty()) return bearer_token(authorization);
  // A scheme in front of the key ("Bearer sk-1234") is dropped; a bare key is taken as it is.
  if (auto space = key.find(' '); space != std::string_view::npos) key = trim(key.substr(space + 1));
  auto is_scheme = [](std::string_view v) {
    std::string lower(v);
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    return lower == "bearer" || lower == "basic";
  };
  if (key.empty() || is_scheme(key)) return std::nullopt;
  return std::string(key);
}

std::optional<ApiError> check_provider(std::string_view value, std::string_view where) {
  if (value.empty() || value == "bedrock") return std::nullopt;
  return ApiError::invalid(
      "Provider '" + std::string(value) + "' (" + std::string(where) +
          ") is not served here: this gateway serves Amazon Bedrock only; use 'bedrock' or "
          "leave it out.",
      std::string(where), "unsupported_provider");
}

std::optional<ApiError> check_key_usable(const storage::KeyRecord& key, std::int64_t now) {
  if (key.blocked)
    return ApiError{ErrorKind::kAuthentication, "This key is blocked. Ask your administrator to unblock it.", {},
                    "invalid_api_key"};
  if (key.expires_at && *key.expires_at <= now)
    return ApiError{ErrorKind::kAuthentication, "This key has expired. Ask your administrator for a new key.", {},
                    "invalid_api_key"};
  return std::nullopt;
}

ApiError missing_key_error() {
  return {
      ErrorKind::kAuthentication,
      "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or as x-litellm-api-key).",
      {},
      {}};
}

ApiError invalid_key_error(std::string_view presented) {
  return {ErrorKind::kAuthentication, "Incorrect API key provided: " + mask_secret(presented) + ".", {},
          "invalid_api_key"};
}

std::string key_hash_of(std::string_view key_or_hash) {
  const bool is_hash = key_or_hash.size() == 64 && std::all_of(key_or_hash.begin(), key_or_hash.end(), [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                       });
  return is_hash ? std::string(key_or_hash) : sha256_hex(key_or_hash);
}

}  // namespace batchgate::api
