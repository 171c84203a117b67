#include "server/api/keys.hpp"

#include <algorithm>
#include <array>

#include "config/duration.hpp"
#include "server/common/utf8.hpp"

namespace batchgate::api {
namespace {

std::optional<ApiError> string_field(const nlohmann::json& body, const char* name,
                                     std::optional<std::string>& out) {
  if (!body.contains(name) || body[name].is_null()) return std::nullopt;
  if (!body[name].is_string()) return ApiError::invalid(std::string(name) + " must be a string.", name);
  out = body[name].get<std::string>();
  return std::nullopt;
}

constexpr std::array kKeyFields = {"key",      "models",    "max_budget", "duration", "budget_duration",
                                   "metadata", "key_alias", "user_id",    "team_id",  "blocked"};

// LiteLLM's key fields batchgate does not take are refused by name, never stored and ignored.
std::optional<ApiError> refuse_unknown_fields(const nlohmann::json& body) {
  for (const auto& [name, value] : body.items()) {
    if (std::find(kKeyFields.begin(), kKeyFields.end(), name) != kKeyFields.end()) continue;
    const bool rate = name == "rpm_limit" || name == "tpm_limit" || name == "max_parallel_requests" ||
                      name == "model_rpm_limit" || name == "model_tpm_limit";
    const std::string why =
        rate ? " batchgate runs batches, which are not limited per minute or by requests in "
               "flight; limit a key's spend with max_budget and budget_duration."
             : "";
    return ApiError::invalid(
        excerpt(name) + " is not supported by batchgate's keys." + why +
            " Keys take models, max_budget, budget_duration, duration, metadata, key_alias, "
            "user_id, team_id and blocked.",
        name, "unsupported_parameter");
  }
  return std::nullopt;
}

}  // namespace

std::string iso8601(std::int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Seconds in the largest unit that divides them: 2592000 → "30d", 5400 → "90m".
std::string duration_text(std::int64_t seconds) {
  for (auto [unit, size] : {std::pair{"d", 86400}, std::pair{"h", 3600}, std::pair{"m", 60}})
    if (seconds % size == 0) return std::to_string(seconds / size) + unit;
  return std::to_string(seconds) + "s";
}

std::variant<nlohmann::json, ApiError> parse_json_object(const std::string& body) {
  if (body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return ApiError::invalid("The request body is not valid JSON.", {}, "invalid_json");
  if (!parsed.is_object()) return ApiError::invalid("The request body must be a JSON object.", {}, "invalid_json");
  return parsed;
}

std::variant<BudgetChange, ApiError> parse_budget(const nlohmann::json& body, std::int64_t now) {
  BudgetChange c;
  if (body.contains("max_budget")) {
    const auto& b = body["max_budget"];
    if (b.is_null()) {
      c.max_budget = std::optional<double>();
    } else if (!b.is_number() || b.get<double>() < 0) {
      return ApiError::invalid("max_budget must be a non-negative number (USD) or null.", "max_budget");
    } else {
      c.max_budget = b.get<double>();
    }
  }
  if (body.contains("budget_duration")) {
    // LiteLLM's: spend goes back to 0 every period, the first time one period from now.
    const auto& d = body["budget_duration"];
    if (d.is_null()) {
      c.budget_duration = std::optional<std::int64_t>();
      c.budget_reset_at = std::optional<std::int64_t>();
    } else {
      auto parsed = d.is_string() ? config::parse_duration(d.get<std::string>()) : std::nullopt;
      if (!parsed || parsed->count() <= 0)
        return ApiError::invalid(
            "budget_duration must be like \"1h\", \"30d\" or \"1mo\" (30 days), or null.", "budget_duration");
      c.budget_duration = parsed->count();
      c.budget_reset_at = now + parsed->count();
    }
  }
  return c;
}

nlohmann::json budget_json(std::optional<double> max_budget, double spend,
                           std::optional<std::int64_t> duration, std::optional<std::int64_t> reset_at) {
  return {{"max_budget", max_budget ? nlohmann::json(*max_budget) : nlohmann::json(nullptr)},
          {"spend", spend},
          {"budget_duration", duration ? nlohmann::json(duration_text(*duration)) : nlohmann::json(nullptr)},
          {"budget_reset_at", reset_at ? nlohmann::json(iso8601(*reset_at)) : nlohmann::json(nullptr)}};
}

std::variant<KeyChanges, ApiError> parse_key_changes(const nlohmann::json& body, const config::Settings& settings,
                                                     std::int64_t now) {
  if (auto err = refuse_unknown_fields(body)) return *err;
  KeyChanges c;
  auto& u = c.update;
  if (body.contains("models") && !body["models"].is_null()) {
    const auto& models = body["models"];
    if (!models.is_array()) return ApiError::invalid("models must be a list of model names.", "models");
    std::vector<std::string> names;
    for (const auto& m : models) {
      if (!m.is_string()) return ApiError::invalid("models must be a list of model names.", "models");
      std::string name = m.get<std::string>();
      if (!settings.find_model(name))
        return ApiError::invalid("Model '" + name + "' is not configured; configured models are listed by /v1/models.",
                                 "models", "model_not_found");
      names.push_back(std::move(name));
    }
    u.models = std::move(names);
  }
  auto budget = parse_budget(body, now);
  if (auto* err = std::get_if<ApiError>(&budget)) return *err;
  u.max_budget = std::get<BudgetChange>(budget).max_budget;
  u.budget_duration = std::get<BudgetChange>(budget).budget_duration;
  u.budget_reset_at = std::get<BudgetChange>(budget).budget_reset_at;
  if (body.contains("duration")) {
    const auto& d = body["duration"];
    if (d.is_null()) {
      u.expires_at = std::optional<std::int64_t>();
    } else {
      auto parsed = d.is_string() ? config::parse_duration(d.get<std::string>()) : std::nullopt;
      if (!parsed || parsed->count() <= 0)
        return ApiError::invalid("duration must be like \"30s\", \"30m\", \"30h\" or \"30d\", or null.", "duration");
      u.expires_at = now + parsed->count();
    }
  }
  if (body.contains("metadata") && !body["metadata"].is_null()) {
    if (!body["metadata"].is_object()) return ApiError::invalid("metadata must be a JSON object.", "metadata");
    u.metadata_json = body["metadata"].dump();
  }
  for (auto [name, field] : {std::pair{"key_alias", &u.key_alias}, std::pair{"user_id", &u.user_id},
                             std::pair{"team_id", &u.team_id}}) {
    if (auto err = string_field(body, name, *field)) return *err;
  }
  if (body.contains("blocked") && !body["blocked"].is_null()) {
    if (!body["blocked"].is_boolean()) return ApiError::invalid("blocked must be true or false.", "blocked");
    u.blocked = body["blocked"].get<bool>();
  }
  return c;
}

nlohmann::json key_info_json(const storage::KeyRecord& key) {
  nlohmann::json j = {
      {"token", key.token_hash},
      {"key_name", key.key_name},
      {"key_alias", key.key_alias.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.key_alias)},
      {"models", key.models},
      {"user_id", key.user_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.user_id)},
      {"team_id", key.team_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.team_id)},
      {"metadata", nlohmann::json::parse(key.metadata_json, nullptr, false)},
      {"blocked", key.blocked},
      {"expires", key.expires_at ? nlohmann::json(iso8601(*key.expires_at)) : nlohmann::json(nullptr)},
      {"created_at", iso8601(key.created_at)},
      {"updated_at", iso8601(key.updated_at)},
  };
  j.update(budget_json(key.max_budget, key.spend, key.budget_duration, key.budget_reset_at));
  if (j["metadata"].is_discarded()) j["metadata"] = nlohmann::json::object();
  return j;
}

std::variant<std::vector<std::string>, ApiError> key_list_param(const nlohmann::json& body) {
  if (!body.contains("keys") || !body["keys"].is_array() || body["keys"].empty())
    return ApiError::invalid("keys must be a non-empty list of keys (sk-…) or key hashes.", "keys");
  std::vector<std::string> out;
  for (const auto& k : body["keys"]) {
    if (!k.is_string() || k.get<std::string>().empty())
      return ApiError::invalid("keys must be a non-empty list of keys (sk-…) or key hashes.", "keys");
    out.push_back(k.get<std::string>());
  }
  return out;
}

std::variant<std::string, ApiError> key_param(const nlohmann::json& body) {
  if (!body.contains("key") || !body["key"].is_string() || body["key"].get<std::string>().empty())
    return ApiError::invalid("key is required: the key (sk-…) or its hash.", "key");
  return body["key"].get<std::string>();
}

}  // namespace batchgate::api
