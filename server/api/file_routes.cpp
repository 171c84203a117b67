// /v1/files (also without /v1, and under /{provider}/v1): upload (streamed, see file_upload.cpp), list,
// retrieve, content (streamed from S3), delete.
#include <spdlog/spdlog.h>

#include <boost/asio/use_awaitable.hpp>

#include "server/api/context.hpp"
#include "server/api/file_upload.hpp"
#include "server/common/blocking.hpp"
#include "server/common/numbers.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace bh = boost::beast::http;

ApiError no_such_file(const std::string& id) {
  return ApiError::not_found("No such File object: " + id, "file_id");
}

// The file when it exists, has not expired and belongs to the caller; otherwise a 404 (never 403: another
// key's ids must not be confirmed to exist).
awaitable<std::variant<storage::FileRecord, Response>> owned_file(RouteContext& app, const Request& req,
                                                                  const Principal& who) {
  const std::string id = req.params.at("file_id");
  auto found = co_await run_blocking(app.blocking, [&] { return app.store.find_file(id); });
  if (found.has_error()) co_return store_unavailable(found.error());
  if (!*found || !who.owns((*found)->owner_key_id) ||
      ((*found)->expires_at && *(*found)->expires_at <= app.clock.now_seconds()))
    co_return Response::error(no_such_file(id));
  co_return std::move(**found);
}

awaitable<Response> list_files(RouteContext& app, Request& req, const Principal& who) {
  storage::FileQuery q;
  q.owner = who.owner_id();
  q.all_owners = who.is_master;
  q.live_at = app.clock.now_seconds();
  if (auto it = req.query.find("purpose"); it != req.query.end()) q.purpose = it->second;
  if (auto it = req.query.find("after"); it != req.query.end()) q.after = it->second;
  if (auto it = req.query.find("order"); it != req.query.end()) {
    if (it->second != "asc" && it->second != "desc")
      co_return Response::error(ApiError::invalid("order must be 'asc' or 'desc'.", "order"));
    q.ascending = it->second == "asc";
  }
  std::int64_t limit = 10000;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    limit = parse_whole_number(it->second).value_or(0);
    if (limit < 1 || limit > 10000)
      co_return Response::error(ApiError::invalid("limit must be between 1 and 10000.", "limit"));
  }
  q.limit = limit + 1;  // one more tells whether there is a next page
  auto rows = co_await run_blocking(app.blocking, [&] { return app.store.list_files(q); });
  if (rows.has_error()) co_return store_unavailable(rows.error());
  const bool has_more = std::int64_t(rows->size()) > limit;
  if (has_more) rows->pop_back();
  nlohmann::json data = nlohmann::json::array();
  for (const auto& f : *rows) data.push_back(file_json(f));
  nlohmann::json out = {
      {"object", "list"},
      {"data", data},
      {"first_id", rows->empty() ? nlohmann::json(nullptr) : nlohmann::json(rows->front().id)},
      {"last_id", rows->empty() ? nlohmann::json(nullptr) : nlohmann::json(rows->back().id)},
      {"has_more", has_more}};
  co_return Response::json(out.dump());
}

awaitable<Response> retrieve_file(RouteContext& app, Request& req, const Principal& who) {
  auto f = co_await owned_file(app, req, who);
  if (auto* r = std::get_if<Response>(&f)) co_return std::move(*r);
  co_return Response::json(file_json(std::get<storage::FileRecord>(f)).dump());
}

awaitable<Response> file_content(RouteContext& app, Request& req, const Principal& who) {
  auto found = co_await owned_file(app, req, who);
  if (auto* r = std::get_if<Response>(&found)) co_return std::move(*r);
  auto f = std::get<storage::FileRecord>(std::move(found));
  const config::Model* model = app.settings.find_model(f.model);
  auto location = aws::parse_s3_uri(f.content_s3_uri);
  if (!model || !location)
    co_return Response::error(ApiError::not_found(
        "File " + f.id + " belongs to model '" + f.model + "', which is no longer configured.", "file_id"));
  Response r;
  r.content_type = "application/octet-stream";
  r.stream_length = std::uint64_t(f.bytes);
  batch::ObjectStore* objects = &app.files.deps().objects(*model);
  const std::string request_id = req.request_id;
  r.stream = [objects, where = *location, request_id](const http::ChunkWriter& write) -> awaitable<bool> {
    // A named sink: g++ 12 (PR 101367) mishandles lambda temporaries inside co_await expressions.
    batch::ObjectSink sink = [&write](std::string_view chunk) { return write(chunk); };
    auto got = co_await objects->read(where, std::move(sink));
    if (got.has_error()) {
      spdlog::error("request {}: reading {} failed: {}", request_id, aws::s3_uri(where),
                    got.error().to_string());
      co_return false;
    }
    co_return true;
  };
  co_return r;
}

awaitable<Response> delete_file(RouteContext& app, Request& req, const Principal& who) {
  auto found = co_await owned_file(app, req, who);
  if (auto* r = std::get_if<Response>(&found)) co_return std::move(*r);
  auto f = std::get<storage::FileRecord>(std::move(found));
  auto deleted = co_await app.files.remove(f, req.request_id);
  if (deleted.has_error()) {
    if (deleted.error().code == storage::ErrorCode::kConflict)
      co_return Response::error({ErrorKind::kInvalidRequest,
                                 "File " + f.id + " cannot be deleted: " + deleted.error().message +
                                     ". Cancel the batch or wait for it to finish.",
                                 "file_id", "file_in_use"});
    if (deleted.error().code == storage::ErrorCode::kNotFound) co_return Response::error(no_such_file(f.id));
    co_return store_unavailable(deleted.error());
  }
  co_return Response::json(nlohmann::json{{"id", f.id}, {"object", "file"}, {"deleted", true}}.dump());
}

}  // namespace

void add_file_routes(http::Router& router, RouteContext& app) {
  auto any_key = [&app](auto fn) { return authed(app, Access::kAnyKey, fn); };
  // Multipart overhead on top of the file itself.
  const std::uint64_t upload_limit = app.settings.server.max_upload_bytes + (1 << 20);
  add_openai_route(router, bh::verb::post, "/files", upload_limit, any_key((upload_file)),
                   /*streaming=*/true);
  add_openai_route(router, bh::verb::get, "/files", kNoBody, any_key((list_files)));
  add_openai_route(router, bh::verb::get, "/files/{file_id}", kNoBody, any_key((retrieve_file)));
  add_openai_route(router, bh::verb::get, "/files/{file_id}/content", kNoBody, any_key((file_content)));
  add_openai_route(router, bh::verb::delete_, "/files/{file_id}", kNoBody, any_key((delete_file)));
}

}  // namespace batchgate::api
