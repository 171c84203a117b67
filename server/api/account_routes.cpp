// LiteLLM's users and teams (/user/new|info|update|delete|list, /team/…): budgets that hold for all the keys
// that name them (a key's user_id / team_id). Master key only. What LiteLLM's users and teams have beyond
// an alias, a budget and metadata (members, roles, models, rate limits) is refused by name.
#include <algorithm>
#include <array>

#include "server/api/context.hpp"
#include "server/api/keys.hpp"
#include "server/common/blocking.hpp"
#include "server/common/utf8.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
using storage::AccountKind;
namespace bh = boost::beast::http;

// The names one kind uses: "user" / "team", its id and alias fields.
struct Kind {
  AccountKind kind;
  const char* name;
  const char* id_field;
  const char* alias_field;
  const char* ids_field;  // /…/delete's list
};
constexpr Kind kUser{AccountKind::kUser, "user", "user_id", "user_alias", "user_ids"};
constexpr Kind kTeam{AccountKind::kTeam, "team", "team_id", "team_alias", "team_ids"};

std::optional<ApiError> refuse_unknown(const nlohmann::json& body, const Kind& k, bool creating) {
  for (const auto& [name, value] : body.items()) {
    if (name == k.id_field || name == k.alias_field || name == "max_budget" || name == "budget_duration" ||
        name == "metadata" || (creating && k.kind == AccountKind::kUser && name == "auto_create_key"))
      continue;
    return ApiError::invalid(excerpt(name) + " is not supported by batchgate's " + k.name + "s: they hold " +
                                 k.id_field + ", " + k.alias_field +
                                 ", max_budget, budget_duration and metadata (a budget for all their keys).",
                             name, "unsupported_parameter");
  }
  return std::nullopt;
}

// The fields of /…/new and /…/update.
std::variant<storage::AccountUpdate, ApiError> parse_changes(const nlohmann::json& body, const Kind& k,
                                                             std::int64_t now) {
  storage::AccountUpdate u;
  auto budget = parse_budget(body, now);
  if (auto* err = std::get_if<ApiError>(&budget)) return *err;
  u.max_budget = std::get<BudgetChange>(budget).max_budget;
  u.budget_duration = std::get<BudgetChange>(budget).budget_duration;
  u.budget_reset_at = std::get<BudgetChange>(budget).budget_reset_at;
  if (body.contains(k.alias_field) && !body[k.alias_field].is_null()) {
    if (!body[k.alias_field].is_string())
      return ApiError::invalid(std::string(k.alias_field) + " must be a string.", k.alias_field);
    u.alias = body[k.alias_field].get<std::string>();
  }
  if (body.contains("metadata") && !body["metadata"].is_null()) {
    if (!body["metadata"].is_object())
      return ApiError::invalid("metadata must be a JSON object.", "metadata");
    u.metadata_json = body["metadata"].dump();
  }
  return u;
}

nlohmann::json account_json(const storage::AccountRecord& a, const Kind& k) {
  nlohmann::json j = {{k.id_field, a.id},
                      {k.alias_field, a.alias.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.alias)},
                      {"metadata", nlohmann::json::parse(a.metadata_json, nullptr, false)},
                      {"created_at", iso8601(a.created_at)},
                      {"updated_at", iso8601(a.updated_at)}};
  j.update(budget_json(a.max_budget, a.spend, a.budget_duration, a.budget_reset_at));
  if (j["metadata"].is_discarded()) j["metadata"] = nlohmann::json::object();
  return j;
}

std::variant<std::string, ApiError> id_param(const nlohmann::json& body, const Kind& k) {
  if (!body.contains(k.id_field) || !body[k.id_field].is_string() ||
      body[k.id_field].get<std::string>().empty())
    return ApiError::invalid(std::string(k.id_field) + " is required.", k.id_field);
  return body[k.id_field].get<std::string>();
}

ApiError no_such(const Kind& k, const std::string& id) {
  return ApiError::not_found("No " + std::string(k.name) + " with " + k.id_field + " " + excerpt(id) + ".",
                             k.id_field);
}

awaitable<Response> create_account(RouteContext& app, Request& req, const Kind& k) {
  auto parsed = parse_json_object(req.body);
  if (auto* err = std::get_if<ApiError>(&parsed)) co_return Response::error(*err);
  const auto& body = std::get<nlohmann::json>(parsed);
  if (auto err = refuse_unknown(body, k, true)) co_return Response::error(*err);
  if (body.contains("auto_create_key") && !body["auto_create_key"].is_boolean())
    co_return Response::error(ApiError::invalid("auto_create_key must be true or false.", "auto_create_key"));
  const auto now = app.clock.now_seconds();
  auto changes = parse_changes(body, k, now);
  if (auto* err = std::get_if<ApiError>(&changes)) co_return Response::error(*err);
  const auto& u = std::get<storage::AccountUpdate>(changes);
  storage::AccountRecord a;
  a.kind = k.kind;
  a.id = std::string(k.name) + "-" + app.ids.base62(20);  // LiteLLM generates one when none is given
  if (body.contains(k.id_field)) {
    auto id = id_param(body, k);
    if (auto* err = std::get_if<ApiError>(&id)) co_return Response::error(*err);
    a.id = std::get<std::string>(id);
  }
  a.alias = u.alias.value_or("");
  a.max_budget = u.max_budget.value_or(std::nullopt);
  a.budget_duration = u.budget_duration.value_or(std::nullopt);
  a.budget_reset_at = u.budget_reset_at.value_or(std::nullopt);
  a.metadata_json = u.metadata_json.value_or("{}");
  a.created_at = a.updated_at = now;
  auto inserted = co_await run_blocking(app.blocking, [&] { return app.store.insert_account(a); });
  if (inserted.has_error() && inserted.error().code == storage::ErrorCode::kConflict)
    co_return Response::error({ErrorKind::kConflict,
                               std::string("A ") + k.name + " with " + k.id_field + " " + excerpt(a.id) +
                                   " exists; change it with /" + k.name + "/update.",
                               k.id_field, "already_exists"});
  if (inserted.has_error()) co_return store_unavailable(inserted.error());
  nlohmann::json out = account_json(a, k);
  // LiteLLM's /user/new also hands out a key for the user unless auto_create_key is false.
  const bool with_key = k.kind == AccountKind::kUser && body.value("auto_create_key", true);
  if (with_key) {
    storage::KeyUpdate key;
    key.user_id = a.id;
    auto created = co_await create_key(app, key);
    if (auto* failed = std::get_if<Response>(&created)) co_return std::move(*failed);
    out["key"] = std::get<nlohmann::json>(created)["key"];
  }
  co_return Response::json(out.dump());
}

awaitable<Response> account_info(RouteContext& app, Request& req, const Kind& k) {
  auto it = req.query.find(k.id_field);
  if (it == req.query.end() || it->second.empty())
    co_return Response::error(
        ApiError::invalid("Pass the " + std::string(k.name) + " as ?" + k.id_field + "=….", k.id_field));
  const std::string id = it->second;
  auto found = co_await run_blocking(app.blocking, [&] { return app.store.find_account(k.kind, id); });
  if (found.has_error()) co_return store_unavailable(found.error());
  if (!*found) co_return Response::error(no_such(k, id));
  auto keys = co_await run_blocking(app.blocking, [&] { return app.store.account_keys(k.kind, id); });
  if (keys.has_error()) co_return store_unavailable(keys.error());
  nlohmann::json key_list = nlohmann::json::array();
  for (const auto& key : *keys) key_list.push_back(key_info_json(key));
  co_return Response::json(nlohmann::json{
      {k.id_field, id},
      {std::string(k.name) + "_info", account_json(**found, k)},
      {"keys",
       std::move(key_list)}}.dump());
}

awaitable<Response> update_account(RouteContext& app, Request& req, const Kind& k) {
  auto parsed = parse_json_object(req.body);
  if (auto* err = std::get_if<ApiError>(&parsed)) co_return Response::error(*err);
  const auto& body = std::get<nlohmann::json>(parsed);
  if (auto err = refuse_unknown(body, k, false)) co_return Response::error(*err);
  auto id = id_param(body, k);
  if (auto* err = std::get_if<ApiError>(&id)) co_return Response::error(*err);
  const auto now = app.clock.now_seconds();
  auto changes = parse_changes(body, k, now);
  if (auto* err = std::get_if<ApiError>(&changes)) co_return Response::error(*err);
  auto updated = co_await run_blocking(app.blocking, [&] {
    return app.store.update_account(k.kind, std::get<std::string>(id),
                                    std::get<storage::AccountUpdate>(changes), now);
  });
  if (updated.has_error() && updated.error().code == storage::ErrorCode::kNotFound)
    co_return Response::error(no_such(k, std::get<std::string>(id)));
  if (updated.has_error()) co_return store_unavailable(updated.error());
  co_return Response::json(account_json(*updated, k).dump());
}

awaitable<Response> delete_accounts(RouteContext& app, Request& req, const Kind& k) {
  auto parsed = parse_json_object(req.body);
  if (auto* err = std::get_if<ApiError>(&parsed)) co_return Response::error(*err);
  const auto& body = std::get<nlohmann::json>(parsed);
  const std::string usage = std::string(k.ids_field) + " must be a non-empty list of " + k.id_field + "s.";
  if (!body.contains(k.ids_field) || !body[k.ids_field].is_array() || body[k.ids_field].empty())
    co_return Response::error(ApiError::invalid(usage, k.ids_field));
  std::vector<std::string> ids;
  for (const auto& id : body[k.ids_field]) {
    if (!id.is_string()) co_return Response::error(ApiError::invalid(usage, k.ids_field));
    ids.push_back(id.get<std::string>());
  }
  auto deleted = co_await run_blocking(app.blocking, [&] { return app.store.delete_accounts(k.kind, ids); });
  if (deleted.has_error()) co_return store_unavailable(deleted.error());
  if (*deleted != std::int64_t(ids.size()))
    co_return Response::error(ApiError::not_found(std::to_string(ids.size() - std::size_t(*deleted)) +
                                                      " of the " + k.name +
                                                      "s do not exist; the others were deleted.",
                                                  k.ids_field));
  co_return Response::json(nlohmann::json{{std::string("deleted_") + k.name + "s", ids}}.dump());
}

awaitable<Response> list_accounts(RouteContext& app, const Kind& k) {
  auto all = co_await run_blocking(app.blocking, [&] { return app.store.list_accounts(k.kind, 100000, 0); });
  if (all.has_error()) co_return store_unavailable(all.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : *all) list.push_back(account_json(a, k));
  if (k.kind == AccountKind::kUser)  // LiteLLM's /user/list is an object, /team/list a bare array
    co_return Response::json(nlohmann::json{{"users", std::move(list)}, {"total", all->size()}}.dump());
  co_return Response::json(list.dump());
}

void add_kind(http::Router& router, RouteContext& app, const Kind& k) {
  auto admin = [&app, k](auto fn) {
    return with_auth(app, Access::kMasterOnly,
                     [&app, k, fn](Request& req, const Principal&) { return fn(app, req, k); });
  };
  const std::string base = std::string("/") + k.name;
  router.add(bh::verb::post, base + "/new", kSmallJson, admin(create_account));
  router.add(bh::verb::get, base + "/info", kNoBody, admin(account_info));
  router.add(bh::verb::post, base + "/update", kSmallJson, admin(update_account));
  router.add(bh::verb::post, base + "/delete", kSmallJson, admin(delete_accounts));
  router.add(bh::verb::get, base + "/list", kNoBody,
             admin([](RouteContext& a, Request&, const Kind& kind) { return list_accounts(a, kind); }));
}

}  // namespace

void add_account_routes(http::Router& router, RouteContext& app) {
  add_kind(router, app, kUser);
  add_kind(router, app, kTeam);
}

}  // namespace batchgate::api
