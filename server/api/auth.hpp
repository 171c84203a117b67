#pragma once
// Who is calling, decided from the Authorization header. Asio-free so the rules are unit-tested directly.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/settings.hpp"
#include "server/common/api_error.hpp"
#include "storage/records.hpp"

namespace batchgate::api {

struct Principal {
  bool is_master = false;
  storage::KeyRecord key;  // the virtual key (unset for the master key)

  std::optional<std::int64_t> owner_id() const {
    return is_master ? std::nullopt : std::optional<std::int64_t>(key.id);
  }
  // Models the caller may use: the master key and keys without a list may use every configured model.
  bool may_use_model(std::string_view model_name) const;
  // Whether the caller may see a row owned by `owner` (nullopt: created with the master key).
  bool owns(const std::optional<std::int64_t>& owner) const { return is_master || owner == key.id; }
};

// "Bearer sk-…" → "sk-…"; nullopt when the header is missing or not a bearer token.
std::optional<std::string> bearer_token(std::string_view authorization);

// A blocked or expired key is refused with 401 in OpenAI's envelope.
std::optional<ApiError> check_key_usable(const storage::KeyRecord& key, std::int64_t now);

ApiError missing_key_error();
ApiError invalid_key_error(std::string_view presented);

// Stored form of a presented key: SHA-256 hex. A 64-hex-character string is already a stored hash (admin
// routes accept both, as LiteLLM does).
std::string key_hash_of(std::string_view key_or_hash);

}  // namespace batchgate::api
