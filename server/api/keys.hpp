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

// A budget's fields, shared by keys, users and teams: max_budget (USD or null), budget_duration ("30d" or
// null; sets the first reset one period from now).
struct BudgetChange {
  std::optional<std::optional<double>> max_budget;
  std::optional<std::optional<std::int64_t>> budget_duration;
  std::optional<std::optional<std::int64_t>> budget_reset_at;
};
std::variant<BudgetChange, ApiError> parse_budget(const nlohmann::json& body, std::int64_t now);
// {"max_budget", "spend", "budget_duration", "budget_reset_at"} as LiteLLM shows them.
nlohmann::json budget_json(std::optional<double> max_budget, double spend,
                           std::optional<std::int64_t> duration, std::optional<std::int64_t> reset_at);
std::string iso8601(std::int64_t unix_seconds);
// Seconds in the largest unit that divides them: 2592000 → "30d", 5400 → "90m".
std::string duration_text(std::int64_t seconds);

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
