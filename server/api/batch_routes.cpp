// /v1/batches (create, retrieve, list, cancel; also without /v1, and under /{provider}/v1) and /spend/logs.
// Status is served from the store; creating and cancelling are the batch core's
// (server/batch/batch_core.hpp).
#include <spdlog/spdlog.h>

#include <chrono>

#include "server/api/batches.hpp"
#include "server/api/context.hpp"
#include "server/api/keys.hpp"
#include "server/common/blocking.hpp"
#include "server/common/numbers.hpp"
#include "server/common/secrets.hpp"
#include "server/common/utf8.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace bh = boost::beast::http;

ApiError no_such_batch(const std::string& id) {
  return ApiError::not_found("No batch found with id '" + id + "'.", "batch_id");
}

awaitable<std::variant<storage::BatchRecord, Response>> owned_batch(RouteContext& app, const Request& req,
                                                                    const Principal& who) {
  const std::string id = req.params.at("batch_id");
  std::optional<storage::BatchRecord> batch = app.batches.find(id);
  if (!batch) {
    auto found = co_await run_blocking(app.blocking, [&] { return app.store.find_batch(id); });
    if (found.has_error()) co_return store_unavailable(found.error());
    batch = std::move(*found);
    if (batch) app.batches.put(id, *batch);
  }
  if (!batch || !who.owns(batch->owner_key_id)) co_return Response::error(no_such_batch(id));
  co_return std::move(*batch);
}

// The core's answer as a response; a batch it wrote replaces the cached one.
Response batch_response(RouteContext& app, batch::BatchCore::Outcome outcome) {
  if (auto* e = std::get_if<ApiError>(&outcome)) return Response::error(*e);
  const auto& b = std::get<storage::BatchRecord>(outcome);
  app.batches.put(b.id, b);
  return Response::json(batch_json(b).dump());
}

awaitable<Response> create_batch(RouteContext& app, Request& req, const Principal& who) {
  auto body = parse_json_object(req.body);
  if (auto* e = std::get_if<ApiError>(&body)) co_return Response::error(*e);
  // LiteLLM's clients may name the provider in the body too.
  if (const auto& json = std::get<nlohmann::json>(body); json.contains("custom_llm_provider")) {
    const auto& provider = json["custom_llm_provider"];
    if (auto err = check_provider(provider.is_string() ? provider.get<std::string>() : provider.dump(),
                                  "custom_llm_provider"))
      co_return Response::error(*err);
  }
  auto parsed = parse_create_batch(std::get<nlohmann::json>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return Response::error(*e);
  CreateBatchParams params = std::get<CreateBatchParams>(std::move(parsed));
  auto created = co_await app.batches_core.create(who, std::move(params));
  co_return batch_response(app, std::move(created));
}

awaitable<Response> retrieve_batch(RouteContext& app, Request& req, const Principal& who) {
  auto b = co_await owned_batch(app, req, who);
  if (auto* r = std::get_if<Response>(&b)) co_return std::move(*r);
  const auto& found = std::get<storage::BatchRecord>(b);
  co_return Response::json(batch_json(found, app.batches_core.queue_position(found.id)).dump());
}

awaitable<Response> list_batches(RouteContext& app, Request& req, const Principal& who) {
  storage::BatchQuery q;
  q.owner = who.owner_id();
  q.all_owners = who.is_master;
  if (auto it = req.query.find("after"); it != req.query.end()) q.after = it->second;
  std::int64_t limit = 20;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    limit = parse_whole_number(it->second).value_or(0);
    if (limit < 1 || limit > 100)
      co_return Response::error(ApiError::invalid("limit must be between 1 and 100.", "limit"));
  }
  q.limit = limit + 1;
  auto rows = co_await run_blocking(app.blocking, [&] { return app.store.list_batches(q); });
  if (rows.has_error()) co_return store_unavailable(rows.error());
  const bool has_more = std::int64_t(rows->size()) > limit;
  if (has_more) rows->pop_back();
  nlohmann::json data = nlohmann::json::array();
  for (const auto& b : *rows) data.push_back(batch_json(b, app.batches_core.queue_position(b.id)));
  co_return Response::json(nlohmann::json{
      {"object", "list"},
      {"data", std::move(data)},
      {"first_id", rows->empty() ? nlohmann::json(nullptr) : nlohmann::json(rows->front().id)},
      {"last_id", rows->empty() ? nlohmann::json(nullptr) : nlohmann::json(rows->back().id)},
      {"has_more", has_more}}.dump());
}

awaitable<Response> cancel_batch(RouteContext& app, Request& req, const Principal& who) {
  std::string id = req.params.at("batch_id");
  auto cancelled = co_await app.batches_core.cancel(who, std::move(id));
  co_return batch_response(app, std::move(cancelled));
}

// "YYYY-MM-DD" as unix seconds at 00:00 UTC.
std::optional<std::int64_t> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = parse_whole_number(text.substr(0, 4));
  auto m = parse_whole_number(text.substr(5, 2));
  auto d = parse_whole_number(text.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *d < 1) return std::nullopt;
  const std::chrono::year_month_day day{std::chrono::year(int(*y)), std::chrono::month(unsigned(*m)),
                                        std::chrono::day(unsigned(*d))};
  if (!day.ok()) return std::nullopt;
  return std::chrono::sys_days(day).time_since_epoch() / std::chrono::seconds(1);
}

// LiteLLM's /spend/logs filters: api_key (a key, or its hash; a virtual key may name only itself), user_id,
// team_id, start_date and end_date (YYYY-MM-DD, UTC, both days included). Anything else is refused.
awaitable<std::variant<storage::SpendQuery, Response>> spend_query(RouteContext& app, const Request& req,
                                                                   const Principal& who) {
  storage::SpendQuery q;
  q.all_keys = who.is_master;
  q.key_id = who.owner_id();
  q.limit = 1000;
  for (const auto& [name, value] : req.query) {
    if (name == "user_id") {
      q.user_id = value;
    } else if (name == "team_id") {
      q.team_id = value;
    } else if (name == "start_date" || name == "end_date") {
      auto day = parse_day(value);
      if (!day) co_return Response::error(ApiError::invalid(name + " must be a date as YYYY-MM-DD.", name));
      if (name == "start_date")
        q.created_from = *day;
      else
        q.created_before = *day + 86400;
    } else if (name == "api_key") {
      const std::string hash = key_hash_of(value);
      if (!who.is_master) {
        if (!constant_time_equal(hash, who.key.token_hash))
          co_return Response::error({ErrorKind::kPermission,
                                     "A virtual key sees only its own spend: api_key must be the key making "
                                     "the request (or leave it out).",
                                     "api_key", "forbidden"});
        continue;
      }
      auto found = co_await run_blocking(app.blocking, [&] { return app.store.find_key_by_hash(hash); });
      if (found.has_error()) co_return store_unavailable(found.error());
      if (!*found)
        co_return Response::error(
            ApiError::not_found("No key matches '" + mask_secret(value) + "'.", "api_key"));
      q.all_keys = false;
      q.key_id = (*found)->id;
    } else {
      co_return Response::error(ApiError::invalid("Query parameter " + excerpt(name) +
                                                      " is not supported by /spend/logs; it filters by "
                                                      "api_key, user_id, team_id, start_date and end_date.",
                                                  name, "unknown_parameter"));
    }
  }
  co_return q;
}

awaitable<Response> spend_logs(RouteContext& app, Request& req, const Principal& who) {
  auto query = co_await spend_query(app, req, who);
  if (auto* refused = std::get_if<Response>(&query)) co_return std::move(*refused);
  const storage::SpendQuery& q = std::get<storage::SpendQuery>(query);
  auto rows = co_await run_blocking(app.blocking, [&] { return app.store.list_spend(q); });
  if (rows.has_error()) co_return store_unavailable(rows.error());
  nlohmann::json data = nlohmann::json::array();
  for (const auto& s : *rows)
    data.push_back({{"batch_id", s.batch_id},
                    {"model", s.model},
                    {"user_id", s.user_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.user_id)},
                    {"team_id", s.team_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.team_id)},
                    {"prompt_tokens", s.input_tokens},
                    {"completion_tokens", s.output_tokens},
                    {"total_tokens", s.input_tokens + s.output_tokens},
                    {"spend", s.cost},
                    {"pricing", s.pricing},
                    {"created_at", s.created_at}});
  co_return Response::json(nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump());
}

}  // namespace

void add_batch_routes(http::Router& router, RouteContext& app) {
  auto any_key = [&app](auto fn) { return authed(app, Access::kAnyKey, fn); };
  add_openai_route(router, bh::verb::post, "/batches", kSmallJson, any_key((create_batch)));
  add_openai_route(router, bh::verb::get, "/batches", kNoBody, any_key((list_batches)));
  add_openai_route(router, bh::verb::get, "/batches/{batch_id}", kNoBody, any_key((retrieve_batch)));
  add_openai_route(router, bh::verb::post, "/batches/{batch_id}/cancel", kSmallJson, any_key((cancel_batch)));
  router.add(bh::verb::get, "/spend/logs", kNoBody, any_key((spend_logs)));
}

}  // namespace batchgate::api
