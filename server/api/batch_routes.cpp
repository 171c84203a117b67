// /v1/batches (create, retrieve, list, cancel) and /spend/logs. Status is served from the store; the batch
// lifecycle (server/batch) talks to Bedrock.
#include <spdlog/spdlog.h>

#include "server/api/batches.hpp"
#include "server/api/context.hpp"
#include "server/api/keys.hpp"
#include "server/http/blocking.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace bh = boost::beast::http;

ApiError no_such_batch(const std::string& id) {
  return ApiError::not_found("No batch found with id '" + id + "'.", "batch_id");
}

awaitable<std::variant<storage::BatchRecord, Response>> owned_batch(AppContext& app, const Request& req,
                                                                   const Principal& who) {
  const std::string id = req.params.at("batch_id");
  std::optional<storage::BatchRecord> batch = app.batches.find(id);
  if (!batch) {
    auto found = co_await http::run_blocking(app.blocking, [&] { return app.store.find_batch(id); });
    if (found.has_error()) co_return store_unavailable(req.request_id, found.error().message);
    batch = std::move(*found);
    if (batch) app.batches.put(id, *batch);
  }
  if (!batch || !who.owns(batch->owner_key_id)) co_return Response::error(no_such_batch(id));
  co_return std::move(*batch);
}

awaitable<Response> create_batch(AppContext& app, Request& req, const Principal& who) {
  if (auto err = check_budget(who)) co_return Response::error(*err);
  auto body = parse_json_object(req.body);
  if (auto* e = std::get_if<ApiError>(&body)) co_return Response::error(*e);
  auto parsed = parse_create_batch(std::get<nlohmann::json>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return Response::error(*e);
  const auto params = std::get<CreateBatchParams>(std::move(parsed));

  auto found = co_await http::run_blocking(app.blocking, [&] { return app.store.find_file(params.input_file_id); });
  if (found.has_error()) co_return store_unavailable(req.request_id, found.error().message);
  if (!*found || !who.owns((*found)->owner_key_id))
    co_return Response::error(ApiError::not_found("No such File object: " + params.input_file_id, "input_file_id"));
  const storage::FileRecord& file = **found;
  const config::Model* model = app.settings.find_model(file.model);
  if (auto err = check_batch_input(params, file, model)) co_return Response::error(*err);
  if (!who.may_use_model(file.model))
    co_return Response::error({ErrorKind::kPermission, "This key may not use model '" + file.model + "'.", "input_file_id",
                               "model_not_allowed"});

  const auto now = app.clock.now_seconds();
  storage::BatchRecord b;
  b.id = app.ids.batch_id();
  b.owner_key_id = who.owner_id();
  b.input_file_id = file.id;
  b.endpoint = params.endpoint;
  b.model = file.model;
  b.completion_window = params.completion_window;
  b.metadata_json = params.metadata_json;
  b.output_expires_seconds = params.output_expires_seconds;
  b.created_at = now;
  b.expires_at = now + std::int64_t(params.timeout_hours) * 3600;
  b.total = file.line_count;
  storage::JobRecord job;
  job.batch_id = b.id;
  job.client_request_token = client_request_token(b.id, 0);
  job.job_name = job_name(b.id, 0);
  job.input_s3_uri = file.bedrock_s3_uri;
  job.output_s3_uri = "s3://" + model->s3_output_bucket + "/" +
                      (model->s3_output_prefix.empty() ? "" : model->s3_output_prefix + "/") + "batches/" + b.id +
                      "/bedrock/";
  job.next_poll_at = now;
  job.poll_interval = app.settings.server.poll_interval_min.count();
  job.updated_at = now;
  // Persisted before Bedrock is called: a crash from here on resumes with the same clientRequestToken.
  auto inserted = co_await http::run_blocking(app.blocking, [&] { return app.store.insert_batch(b, job); });
  if (inserted.has_error()) co_return store_unavailable(req.request_id, inserted.error().message);
  app.batches.put(b.id, b);
  app.wake_lifecycle();
  co_return Response::json(batch_json(b).dump());
}

awaitable<Response> retrieve_batch(AppContext& app, Request& req, const Principal& who) {
  auto b = co_await owned_batch(app, req, who);
  if (auto* r = std::get_if<Response>(&b)) co_return std::move(*r);
  co_return Response::json(batch_json(std::get<storage::BatchRecord>(b)).dump());
}

awaitable<Response> list_batches(AppContext& app, Request& req, const Principal& who) {
  storage::BatchQuery q;
  q.owner = who.owner_id();
  q.all_owners = who.is_master;
  if (auto it = req.query.find("after"); it != req.query.end()) q.after = it->second;
  std::int64_t limit = 20;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    try {
      limit = std::stoll(it->second);
    } catch (...) {
      limit = 0;
    }
    if (limit < 1 || limit > 100) co_return Response::error(ApiError::invalid("limit must be between 1 and 100.", "limit"));
  }
  q.limit = limit + 1;
  auto rows = co_await http::run_blocking(app.blocking, [&] { return app.store.list_batches(q); });
  if (rows.has_error()) co_return store_unavailable(req.request_id, rows.error().message);
  const bool has_more = std::int64_t(rows->size()) > limit;
  if (has_more) rows->pop_back();
  nlohmann::json data = nlohmann::json::array();
  for (const auto& b : *rows) data.push_back(batch_json(b));
  co_return Response::json(nlohmann::json{{"object", "list"},
                                          {"data", std::move(data)},
                                          {"first_id", rows->empty() ? nlohmann::json(nullptr) : nlohmann::json(rows->front().id)},
                                          {"last_id", rows->empty() ? nlohmann::json(nullptr) : nlohmann::json(rows->back().id)},
                                          {"has_more", has_more}}
                               .dump());
}

awaitable<Response> cancel_batch(AppContext& app, Request& req, const Principal& who) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto found = co_await owned_batch(app, req, who);
    if (auto* r = std::get_if<Response>(&found)) co_return std::move(*r);
    auto b = std::get<storage::BatchRecord>(std::move(found));
    // A finished (or already cancelling) batch is returned unchanged.
    if (b.status != "validating" && b.status != "in_progress") co_return Response::json(batch_json(b).dump());
    b.status = "cancelling";
    b.cancelling_at = app.clock.now_seconds();
    auto updated = co_await http::run_blocking(app.blocking, [&] { return app.store.update_batch(b); });
    app.batches.drop(b.id);
    if (updated.has_value()) {
      app.batches.put(b.id, *updated);
      app.wake_lifecycle();
      co_return Response::json(batch_json(*updated).dump());
    }
    if (updated.error().code != storage::ErrorCode::kConflict)
      co_return store_unavailable(req.request_id, updated.error().message);
  }
  co_return Response::error({ErrorKind::kConflict, "The batch is changing; try the cancel again.", "batch_id", "conflict"});
}

awaitable<Response> spend_logs(AppContext& app, Request& req, const Principal& who) {
  storage::SpendQuery q;
  q.all_keys = who.is_master;
  q.key_id = who.owner_id();
  q.limit = 1000;
  auto rows = co_await http::run_blocking(app.blocking, [&] { return app.store.list_spend(q); });
  if (rows.has_error()) co_return store_unavailable(req.request_id, rows.error().message);
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
                    {"created_at", s.created_at}});
  co_return Response::json(nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump());
}

}  // namespace

std::optional<ApiError> check_budget(const Principal& who) {
  if (who.is_master || !who.key.max_budget || who.key.spend < *who.key.max_budget) return std::nullopt;
  return ApiError{ErrorKind::kInvalidRequest,
                  "This key has reached its max_budget (spent " + std::to_string(who.key.spend) + " of " +
                      std::to_string(*who.key.max_budget) + " USD). Ask your administrator to raise it.",
                  {}, "budget_exceeded"};
}

void add_batch_routes(http::Router& router, AppContext& app) {
  auto any_key = [&app](auto fn) { return authed(app, Access::kAnyKey, fn); };
  router.add(bh::verb::post, "/v1/batches", kSmallJson, any_key((create_batch)));
  router.add(bh::verb::get, "/v1/batches", kNoBody, any_key((list_batches)));
  router.add(bh::verb::get, "/v1/batches/{batch_id}", kNoBody, any_key((retrieve_batch)));
  router.add(bh::verb::post, "/v1/batches/{batch_id}/cancel", kSmallJson, any_key((cancel_batch)));
  router.add(bh::verb::get, "/spend/logs", kNoBody, any_key((spend_logs)));
}

}  // namespace batchgate::api
