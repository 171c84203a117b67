#pragma once
// LiteLLM-compatible virtual key requests and responses (/key/generate, /key/update, /key/info, …). Pure.

#include <nlohmann/json.hpp>

#include <string>
#include <variant>
#include <vector>

#include "config/settings.hpp"
#include "server/common/api_error.hpp"
#include "storage/records.hpp"
#include "storage/store.hpp"

namespace batchgate::api {

// Fields of /key/generate and /key/update. `models` naming an unconfigured model is a 400.
struct KeyChanges {
  storage::KeyUpdate update;
};

// Parses a /key/generate or /key/update body. `now` turns `duration` ("30d") into expires_at.
std::variant<KeyChanges, ApiError> parse_key_changes(const nlohmann::json& body, const config::Settings& settings,
                                                     std::int64_t now);

// The key as /key/info and /key/list show it: never the key itself, only its hash and masked name.
nlohmann::json key_info_json(const storage::KeyRecord& key);

// Body → parsed JSON object, or a 400 naming the problem.
std::variant<nlohmann::json, ApiError> parse_json_object(const std::string& body);

// The "keys" array of /key/delete, or "key" of /key/block, /key/unblock, /key/update.
std::variant<std::vector<std::string>, ApiError> key_list_param(const nlohmann::json& body);
std::variant<std::string, ApiError> key_param(const nlohmann::json& body);

}  // namespace batchgate::api
