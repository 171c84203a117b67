#include "server/api/keys.hpp"

#include "config/duration.hpp"

namespace batchgate::api {
namespace {

std::string iso8601(std::int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<ApiError> string_field(const nlohmann::json& body, const char* name, std::optional<std::string>& out) {
  if (!body.contains(name) || body[name].is_null()) return std::nullopt;
  if (!body[name].is_string()) return ApiError::invalid(std::string(name) + " must be a string.", name);
  out = body[name].get<std::string>();
  return std::nullopt;
}

}  // namespace

std::variant<nlohmann::json, ApiError> parse_json_object(const std::string& body) {
  if (body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return ApiError::invalid("The request body is not valid JSON.", {}, "invalid_json");
  if (!parsed.is_object()) return ApiError::invalid("The request body must be a JSON object.", {}, "invalid_json");
  return parsed;
}

std::variant<KeyChanges, ApiError> parse_key_changes(const nlohmann::json& body, const config::Settings& settings,
                                                     std::int64_t now) {
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
  if (body.contains("max_budget")) {
    const auto& b = body["max_budget"];
    if (b.is_null()) {
      u.max_budget = std::optional<double>();
    } else if (!b.is_number() || b.get<double>() < 0) {
      return ApiError::invalid("max_budget must be a non-negative number (USD) or null.", "max_budget");
    } else {
      u.max_budget = b.get<double>();
    }
  }
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
      {"max_budget", key.max_budget ? nlohmann::json(*key.max_budget) : nlohmann::json(nullptr)},
      {"spend", key.spend},
      {"user_id", key.user_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.user_id)},
      {"team_id", key.team_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(key.team_id)},
      {"metadata", nlohmann::json::parse(key.metadata_json, nullptr, false)},
      {"blocked", key.blocked},
      {"expires", key.expires_at ? nlohmann::json(iso8601(*key.expires_at)) : nlohmann::json(nullptr)},
      {"created_at", iso8601(key.created_at)},
      {"updated_at", iso8601(key.updated_at)},
  };
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
