#pragma once
// Who is calling, decided from the Authorization header. Asio-free so the rules are unit-tested directly.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/settings.hpp"
#include "server/batch/principal.hpp"
#include "server/common/api_error.hpp"
#include "storage/records.hpp"

namespace batchgate::api {

using batch::Principal;

// "Bearer sk-…" → "sk-…"; nullopt when the header is missing or not a bearer token.
std::optional<std::string> bearer_token(std::string_view authorization);

// The key a request presents. LiteLLM's x-litellm-api-key header wins over Authorization when both are sent;
// its value is the key itself or the key after a scheme ("Bearer sk-…", "Basic sk-…"), as LiteLLM reads it.
std::optional<std::string> presented_key(std::string_view litellm_api_key, std::string_view authorization);

// Which provider a request names (LiteLLM's /{provider}/v1/… routes, custom-llm-provider header,
// custom_llm_provider query parameter): batchgate serves only "bedrock", so any other is refused by name.
std::optional<ApiError> check_provider(std::string_view value, std::string_view where);

// A blocked or expired key is refused with 401 in OpenAI's envelope.
std::optional<ApiError> check_key_usable(const storage::KeyRecord& key, std::int64_t now);

ApiError missing_key_error();
ApiError invalid_key_error(std::string_view presented);

// Stored form of a presented key: SHA-256 hex. A 64-hex-character string is already a stored hash (admin
// routes accept both, as LiteLLM does).
std::string key_hash_of(std::string_view key_or_hash);

}  // namespace batchgate::api
