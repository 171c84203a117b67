#pragma once
// What the route handlers use, wired once in the app (the composition root). The background loop never
// sees it.

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <variant>

#include "config/settings.hpp"
#include "server/api/auth.hpp"
#include "server/api/upload_admission.hpp"
#include "server/batch/batch_core.hpp"
#include "server/batch/files.hpp"
#include "server/common/clock.hpp"
#include "server/common/ids.hpp"
#include "server/common/recent_cache.hpp"
#include "server/http/router.hpp"
#include "storage/store.hpp"

namespace batchgate::api {

struct RouteContext {
  const config::Settings& settings;
  storage::Store& store;
  boost::asio::thread_pool& blocking;  // SQLite and file work
  const Clock& clock;
  IdGenerator& ids;
  std::int64_t started_at = 0;
  batch::BatchCore& batches_core;  // creating and cancelling batches
  batch::Files& files;             // uploads, content, deletion
  // Recently read keys (auth on every request) and batches (clients poll them). Every write in this process
  // drops or replaces the entry; entries live 2 s.
  RecentCache<storage::KeyRecord> keys;
  RecentCache<storage::BatchRecord> batches;
  UploadAdmission uploads{settings.server.max_upload_memory, settings.server.max_uploads_per_key};
};

enum class Access { kAnyKey, kMasterOnly };

using AuthedHandler = std::function<boost::asio::awaitable<http::Response>(http::Request&, const Principal&)>;

// Body limits of routes without a body and of small JSON bodies.
inline constexpr std::uint64_t kNoBody = 0;
inline constexpr std::uint64_t kSmallJson = 64 << 10;

// A 503 for a store failure (transient: the SDK retries 5xx), logged with the request id.
http::Response store_unavailable(const storage::Error& error);

// Generates a key with `update`'s fields: its info with "key" (shown this once), or the error response.
boost::asio::awaitable<std::variant<nlohmann::json, http::Response>> create_key(
    RouteContext& app, const storage::KeyUpdate& update);

// fn(app, req, who) as a handler for with_auth.
template <class Fn>
AuthedHandler bind_app(RouteContext& app, Fn fn) {
  return [&app, fn](http::Request& req, const Principal& who) { return fn(app, req, who); };
}

// Authenticates the caller (401 for missing/unknown/blocked/expired keys, 403 for non-admin keys on admin
// routes), then runs the handler.
http::Handler with_auth(RouteContext& app, Access access, AuthedHandler handler);

// fn(app, req, who) behind with_auth: how every route group registers its handlers.
template <class Fn>
http::Handler authed(RouteContext& app, Access access, Fn fn) {
  return with_auth(app, access, bind_app(app, fn));
}

// An OpenAI route under every prefix LiteLLM serves it at: "/v1" + path, path alone (clients whose base_url
// has no /v1) and "/{provider}/v1" + path (LiteLLM's provider routes; provider must be bedrock, see
// with_auth).
inline void add_openai_route(http::Router& router, boost::beast::http::verb method, const std::string& path,
                             std::uint64_t body_limit, const http::Handler& handler, bool streaming = false) {
  for (const char* prefix : {"/v1", "", "/{provider}/v1"})
    router.add(method, prefix + path, body_limit, handler, streaming);
}

// Route groups; each adds its routes with explicit body limits.
void add_health_routes(http::Router& router, RouteContext& app);
void add_key_routes(http::Router& router, RouteContext& app);
void add_model_routes(http::Router& router, RouteContext& app);
void add_file_routes(http::Router& router, RouteContext& app);
void add_batch_routes(http::Router& router, RouteContext& app);
void add_account_routes(http::Router& router, RouteContext& app);

}  // namespace batchgate::api
