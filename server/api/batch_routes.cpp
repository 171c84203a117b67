// /v1/batches (create, retrieve, list, cancel; also without /v1, and under /{provider}/v1) and /spend/logs.
// Status is served from the store; creating and cancelling are the batch core's
// (server/batch/batch_core.hpp).
#include <spdlog/spdlog.h>

#include "server/api/batches.hpp"
#include "server/api/context.hpp"
#include "server/api/keys.hpp"
#include "server/common/blocking.hpp"
#include "server/common/numbers.hpp"

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

awaitable<Response> spend_logs(RouteContext& app, Request&, const Principal& who) {
  storage::SpendQuery q;
  q.all_keys = who.is_master;
  q.key_id = who.owner_id();
  q.limit = 1000;
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
