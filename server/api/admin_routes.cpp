// Health, auth, virtual keys and models: the admin-facing routes.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "server/api/context.hpp"
#include "server/api/keys.hpp"
#include "server/common/blocking.hpp"
#include "server/common/numbers.hpp"
#include "server/common/secrets.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace bh = boost::beast::http;

template <class T>
bool holds_error(const T& v) {
  return std::holds_alternative<ApiError>(v);
}

nlohmann::json models_list_json(const RouteContext& app, const Principal& who) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& m : app.settings.models) {
    if (!who.may_use_model(m.model_name)) continue;
    data.push_back(
        {{"id", m.model_name}, {"object", "model"}, {"created", app.started_at}, {"owned_by", "batchgate"}});
  }
  return {{"object", "list"}, {"data", std::move(data)}};
}

nlohmann::json model_group_json(const config::Model& m) {
  return {{"model_group", m.model_name},
          {"providers", {"bedrock"}},
          {"mode", m.mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.mode)},
          {"input_cost_per_token", m.pricing.input_cost_per_token},
          {"output_cost_per_token", m.pricing.output_cost_per_token},
          {"input_cost_per_token_batches", m.pricing.input_cost_per_token_batches},
          {"output_cost_per_token_batches", m.pricing.output_cost_per_token_batches},
          {"max_output_tokens", m.max_tokens},
          {"supported_openai_params", nlohmann::json::array()}};
}

// Resolves "key" (sk-… or hash) in the body, applies `update` and answers with the key's info.
awaitable<Response> apply_key_update(RouteContext& app, storage::KeyUpdate update, const std::string& key) {
  const std::string hash = key_hash_of(key);
  const auto now = app.clock.now_seconds();
  auto updated = co_await run_blocking(app.blocking, [&] { return app.store.update_key(hash, update, now); });
  app.keys.drop(hash);
  if (updated.has_error()) {
    if (updated.error().code == storage::ErrorCode::kNotFound)
      co_return Response::error(ApiError::not_found("No key matches '" + mask_secret(key) + "'.", "key"));
    co_return store_unavailable(updated.error());
  }
  nlohmann::json out = key_info_json(*updated);
  out["key"] = updated->token_hash;
  co_return Response::json(out.dump());
}

awaitable<Response> generate_key(RouteContext& app, Request& req, const Principal&) {
  auto body = parse_json_object(req.body);
  if (holds_error(body)) co_return Response::error(std::get<ApiError>(body));
  if (std::get<nlohmann::json>(body).contains("key"))
    co_return Response::error(ApiError::invalid(
        "batchgate generates every key itself: leave out 'key' (the new key is in the answer, shown once).",
        "key", "unsupported_parameter"));
  const auto now = app.clock.now_seconds();
  auto changes = parse_key_changes(std::get<nlohmann::json>(body), app.settings, now);
  if (holds_error(changes)) co_return Response::error(std::get<ApiError>(changes));
  auto created = co_await create_key(app, std::get<KeyChanges>(changes).update);
  if (auto* failed = std::get_if<Response>(&created)) co_return std::move(*failed);
  co_return Response::json(std::get<nlohmann::json>(created).dump());
}

awaitable<Response> key_info(RouteContext& app, Request& req, const Principal&) {
  auto it = req.query.find("key");
  if (it == req.query.end() || it->second.empty())
    co_return Response::error(
        ApiError::invalid("Pass the key to look up as ?key=sk-… (or its hash).", "key"));
  const std::string hash = key_hash_of(it->second);
  auto found = co_await run_blocking(app.blocking, [&] { return app.store.find_key_by_hash(hash); });
  if (found.has_error()) co_return store_unavailable(found.error());
  if (!*found)
    co_return Response::error(
        ApiError::not_found("No key matches '" + mask_secret(it->second) + "'.", "key"));
  co_return Response::json(nlohmann::json{{"key", hash}, {"info", key_info_json(**found)}}.dump());
}

awaitable<Response> list_keys(RouteContext& app, Request& req, const Principal&) {
  auto number = [&](const char* name, std::int64_t def, std::int64_t lo,
                    std::int64_t hi) -> std::optional<std::int64_t> {
    auto it = req.query.find(name);
    if (it == req.query.end()) return def;
    auto v = parse_whole_number(it->second);
    if (!v || *v < lo || *v > hi) return std::nullopt;
    return v;
  };
  auto page = number("page", 1, 1, 1000000);
  auto size = number("size", 10, 1, 100);
  if (!page || !size)
    co_return Response::error(ApiError::invalid("page must be ≥ 1 and size 1–100.", "size"));
  const bool full = req.query.contains("return_full_object") && req.query["return_full_object"] == "true";
  auto keys = co_await run_blocking(app.blocking, [&] { return app.store.list_keys(1000000, 0); });
  if (keys.has_error()) co_return store_unavailable(keys.error());
  const auto total = std::int64_t(keys->size());
  nlohmann::json list = nlohmann::json::array();
  for (std::int64_t i = (*page - 1) * *size; i < std::min(total, *page * *size); ++i) {
    const auto& k = (*keys)[size_t(i)];
    list.push_back(full ? key_info_json(k) : nlohmann::json(k.token_hash));
  }
  co_return Response::json(nlohmann::json{{"keys", std::move(list)},
                                          {"total_count", total},
                                          {"current_page", *page},
                                          {"total_pages", (total + *size - 1) / *size}}
                               .dump());
}

awaitable<Response> update_key(RouteContext& app, Request& req, const Principal&) {
  auto body = parse_json_object(req.body);
  if (holds_error(body)) co_return Response::error(std::get<ApiError>(body));
  const auto& json = std::get<nlohmann::json>(body);
  auto key = key_param(json);
  if (holds_error(key)) co_return Response::error(std::get<ApiError>(key));
  auto changes = parse_key_changes(json, app.settings, app.clock.now_seconds());
  if (holds_error(changes)) co_return Response::error(std::get<ApiError>(changes));
  co_return co_await apply_key_update(app, std::get<KeyChanges>(changes).update, std::get<std::string>(key));
}

awaitable<Response> set_blocked(RouteContext& app, Request& req, bool blocked) {
  auto body = parse_json_object(req.body);
  if (holds_error(body)) co_return Response::error(std::get<ApiError>(body));
  auto key = key_param(std::get<nlohmann::json>(body));
  if (holds_error(key)) co_return Response::error(std::get<ApiError>(key));
  storage::KeyUpdate u;
  u.blocked = blocked;
  co_return co_await apply_key_update(app, u, std::get<std::string>(key));
}

awaitable<Response> delete_keys(RouteContext& app, Request& req, const Principal&) {
  auto body = parse_json_object(req.body);
  if (holds_error(body)) co_return Response::error(std::get<ApiError>(body));
  auto keys = key_list_param(std::get<nlohmann::json>(body));
  if (holds_error(keys)) co_return Response::error(std::get<ApiError>(keys));
  std::vector<std::string> hashes;
  for (const auto& k : std::get<std::vector<std::string>>(keys)) hashes.push_back(key_hash_of(k));
  auto deleted = co_await run_blocking(app.blocking, [&] { return app.store.delete_keys(hashes); });
  for (const auto& h : hashes) app.keys.drop(h);
  if (deleted.has_error()) co_return store_unavailable(deleted.error());
  if (*deleted != std::int64_t(hashes.size()))
    co_return Response::error(
        ApiError::not_found(std::to_string(hashes.size() - size_t(*deleted)) +
                                " of the given keys do not exist; the others were deleted.",
                            "keys"));
  co_return Response::json(nlohmann::json{{"deleted_keys", std::get<std::vector<std::string>>(keys)}}.dump());
}

// LiteLLM names the provider in a path segment, a header or a query parameter; each is checked.
std::optional<ApiError> provider_error(const Request& req) {
  if (auto it = req.params.find("provider"); it != req.params.end())
    if (auto err = check_provider(it->second, "provider")) return err;
  if (auto err = check_provider(req.header("custom-llm-provider"), "custom-llm-provider")) return err;
  if (auto it = req.query.find("custom_llm_provider"); it != req.query.end())
    return check_provider(it->second, "custom_llm_provider");
  return std::nullopt;
}

}  // namespace

awaitable<std::variant<nlohmann::json, Response>> create_key(RouteContext& app, const storage::KeyUpdate& u) {
  const std::string key = app.ids.virtual_key();
  storage::KeyRecord rec;
  rec.token_hash = sha256_hex(key);
  rec.key_name = mask_secret(key);
  rec.models = u.models.value_or(std::vector<std::string>{});
  rec.max_budget = u.max_budget.value_or(std::nullopt);
  rec.key_alias = u.key_alias.value_or("");
  rec.user_id = u.user_id.value_or("");
  rec.team_id = u.team_id.value_or("");
  rec.metadata_json = u.metadata_json.value_or("{}");
  rec.expires_at = u.expires_at.value_or(std::nullopt);
  rec.blocked = u.blocked.value_or(false);
  rec.budget_duration = u.budget_duration.value_or(std::nullopt);
  rec.budget_reset_at = u.budget_reset_at.value_or(std::nullopt);
  rec.created_at = rec.updated_at = app.clock.now_seconds();
  auto id = co_await run_blocking(app.blocking, [&] { return app.store.insert_key(rec); });
  if (id.has_error()) co_return store_unavailable(id.error());
  rec.id = *id;
  nlohmann::json out = key_info_json(rec);
  out["key"] = key;  // the only time the key itself is ever shown
  co_return out;
}

http::Response store_unavailable(const storage::Error& error) {
  return Response::error(storage_unavailable("store failed: " + error.message));
}

http::Handler with_auth(RouteContext& app, Access access, AuthedHandler handler) {
  return [&app, access, handler = std::move(handler)](Request& req) -> awaitable<Response> {
    auto token = presented_key(req.header("x-litellm-api-key"), req.header(bh::field::authorization));
    if (!token) co_return Response::error(missing_key_error());
    Principal who;
    if (constant_time_equal(*token, app.settings.general.master_key)) {
      who.is_master = true;
      if (auto err = provider_error(req)) co_return Response::error(*err);
      co_return co_await handler(req, who);
    }
    const std::string hash = sha256_hex(*token);
    std::optional<storage::KeyRecord> key = app.keys.find(hash);
    if (!key) {
      auto found = co_await run_blocking(app.blocking, [&] { return app.store.find_key_by_hash(hash); });
      if (found.has_error()) co_return store_unavailable(found.error());
      key = std::move(*found);
      if (key) app.keys.put(hash, *key);
    }
    // The row was found by its hash; compare again in constant time so no early exit depends on the secret.
    if (!key || !constant_time_equal(key->token_hash, hash))
      co_return Response::error(invalid_key_error(*token));
    if (auto err = check_key_usable(*key, app.clock.now_seconds())) co_return Response::error(*err);
    if (access == Access::kMasterOnly)
      co_return Response::error({ErrorKind::kPermission,
                                 "This route needs the master key; virtual keys cannot manage keys.",
                                 {},
                                 "insufficient_permissions"});
    who.key = std::move(*key);
    if (auto err = provider_error(req)) co_return Response::error(*err);
    co_return co_await handler(req, who);
  };
}

// An object nobody writes: readiness reads it to see S3 answer.
constexpr const char* kReadinessProbeKey = "batchgate-readiness-probe";

void add_health_routes(http::Router& router, RouteContext& app) {
  router.add(bh::verb::get, "/health", kNoBody,
             [](Request&) -> awaitable<Response> { co_return Response::json(R"({"status":"healthy"})"); });
  router.add(bh::verb::get, "/health/liveliness", kNoBody,
             [](Request&) -> awaitable<Response> { co_return Response::json(R"({"status":"healthy"})"); });
  router.add(bh::verb::get, "/health/readiness", kNoBody, [&app](Request& req) -> awaitable<Response> {
    auto ping = co_await run_blocking(app.blocking, [&] { return app.store.ping(); });
    if (ping.has_error()) {
      spdlog::error("request {}: readiness: store failed: {}", req.request_id, ping.error().message);
      co_return Response::json(nlohmann::json{{"status", "unhealthy"}, {"db", "unreachable"}}.dump(),
                               bh::status::service_unavailable);
    }
    // S3 of every batch model's bucket answers (a missing object's 404, or a 403 where the role may not list,
    // is an answer); a transport error or a 5xx after the client's retries is not.
    std::set<std::string> probed;
    for (const config::Model& model : app.settings.models) {
      if (!model.is_batch() || !probed.insert(model.s3_bucket).second) continue;
      // Named: g++ 12 (PR 101367) destroys a braced temporary inside a co_await expression twice.
      aws::S3Location probe_at{model.s3_bucket, kReadinessProbeKey};
      auto probe = co_await app.files.deps().objects(model).read_small(probe_at);
      if (probe || (probe.error().http_status >= 400 && probe.error().http_status < 500)) continue;
      spdlog::error("request {}: readiness: S3 bucket {} unreachable: {}", req.request_id, model.s3_bucket,
                    probe.error().to_string());
      co_return Response::json(
          nlohmann::json{{"status", "unhealthy"}, {"db", "connected"}, {"storage", "unreachable"}}.dump(),
          bh::status::service_unavailable);
    }
    co_return Response::json(nlohmann::json{{"status", "healthy"},
                                            {"db", "connected"},
                                            {"storage", "reachable"},
                                            {"config", "loaded"},
                                            {"models", app.settings.models.size()}}
                                 .dump());
  });
}

void add_key_routes(http::Router& router, RouteContext& app) {
  auto admin = [&app](auto fn) { return authed(app, Access::kMasterOnly, fn); };
  router.add(bh::verb::post, "/key/generate", kSmallJson, admin((generate_key)));
  router.add(bh::verb::get, "/key/info", kNoBody, admin((key_info)));
  router.add(bh::verb::get, "/key/list", kNoBody, admin((list_keys)));
  router.add(bh::verb::post, "/key/update", kSmallJson, admin((update_key)));
  router.add(bh::verb::post, "/key/delete", kSmallJson, admin((delete_keys)));
  router.add(
      bh::verb::post, "/key/block", kSmallJson,
      admin([](RouteContext& a, Request& req, const Principal&) { return set_blocked(a, req, true); }));
  router.add(
      bh::verb::post, "/key/unblock", kSmallJson,
      admin([](RouteContext& a, Request& req, const Principal&) { return set_blocked(a, req, false); }));
}

void add_model_routes(http::Router& router, RouteContext& app) {
  auto any_key = [&app](AuthedHandler h) { return with_auth(app, Access::kAnyKey, std::move(h)); };
  // LiteLLM serves the model list with and without /v1.
  for (const char* path : {"/v1/models", "/models"})
    router.add(bh::verb::get, path, kNoBody,
               any_key([&app](Request&, const Principal& who) -> awaitable<Response> {
                 co_return Response::json(models_list_json(app, who).dump());
               }));
  router.add(bh::verb::get, "/model_group/info", kNoBody,
             any_key([&app](Request&, const Principal& who) -> awaitable<Response> {
               nlohmann::json data = nlohmann::json::array();
               for (const auto& m : app.settings.models)
                 if (who.may_use_model(m.model_name)) data.push_back(model_group_json(m));
               co_return Response::json(nlohmann::json{{"data", std::move(data)}}.dump());
             }));
}

}  // namespace batchgate::api
