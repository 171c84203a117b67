#include "server/app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "server/api/context.hpp"
#include "server/background/file_expiry.hpp"
#include "server/background/lifecycle.hpp"
#include "server/background/upload_sweep.hpp"
#include "server/batch/aws_clients.hpp"
#include "server/batch/batch_core.hpp"
#include "server/batch/bedrock_job_runner.hpp"
#include "server/batch/files.hpp"
#include "server/batch/on_demand_runner.hpp"
#include "server/common/blocking.hpp"
#include "server/common/clock.hpp"
#include "server/common/ids.hpp"
#include "server/common/periodic_loop.hpp"
#include "server/http/server.hpp"
#include "storage/sqlite_store.hpp"

namespace batchgate {

struct App::Impl {
  Impl(config::Settings s, std::unique_ptr<storage::Store> st)
      : settings(std::move(s)),
        store(std::move(st)),
        blocking(std::size_t(settings.server.blocking_threads)),
        aws(settings, ioc.get_executor()),
        bedrock_jobs(aws),
        on_demand(deps(), invoker(), ioc.get_executor(), [this] { lifecycle.wake(); }),
        core(deps(), runners, hooks()),
        files(deps()),
        routes{settings, *store, blocking, clock, ids, clock.now_seconds(), core, files, {}, {}},
        lifecycle(*store, blocking, clock, core, {std::chrono::seconds(1), settings.server.poll_concurrency}),
        file_expiry(*store, blocking, clock, files, settings.server.expired_file_sweep),
        upload_sweep(deps(), settings.server.abandoned_upload_sweep, settings.server.abandoned_upload_age),
        budget_reset("budgets", settings.server.budget_reset_sweep, [this] { return reset_budgets(); }) {
    runners.add(bedrock_jobs, batch::Runners::Role::kBatchJobs);
    runners.add(on_demand, batch::Runners::Role::kSmallBatches);
  }

  batch::CoreDeps deps() {
    auto objects = [this](const config::Model& model) -> batch::ObjectStore& { return aws.objects(model); };
    return {settings, *store, blocking, clock, ids, objects};
  }
  batch::Invoker invoker() {
    return [this](const config::Model& model, std::string body) {
      return aws.runtime(model).invoke_model(model.bedrock_model_id, std::move(body));
    };
  }
  // Every batch the core writes leaves the routes' cache; a new or cancelled batch wakes the lifecycle.
  batch::CoreHooks hooks() {
    return {[this](const std::string& id) { routes.batches.drop(id); }, [this] { lifecycle.wake(); }};
  }

  // Keys past their budget_reset_at start a new budget period with spend 0 (LiteLLM's budget_duration).
  boost::asio::awaitable<bool> reset_budgets() {
    auto reset =
        co_await run_blocking(blocking, [this] { return store->reset_budgets(clock.now_seconds()); });
    if (reset.has_error())
      spdlog::error("budgets: resetting spend failed: {}", reset.error().message);
    else if (*reset > 0)
      spdlog::info("budgets: {} key(s) started a new budget period", *reset);
    co_return false;
  }

  config::Settings settings;
  std::unique_ptr<storage::Store> store;
  boost::asio::io_context ioc;
  // Keeps ioc.run() going while the accept loop winds down, until shutdown has drained.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  boost::asio::thread_pool blocking;
  SystemClock clock;
  RandomIdGenerator ids;
  batch::AwsClients aws;
  batch::BedrockJobRunner bedrock_jobs;
  batch::OnDemandRunner on_demand;
  batch::Runners runners;
  batch::BatchCore core;
  batch::Files files;
  api::RouteContext routes;
  background::Lifecycle lifecycle;
  background::FileExpiry file_expiry;
  background::UploadSweep upload_sweep;
  PeriodicLoop budget_reset;
  http::Router router;
  std::unique_ptr<http::HttpServer> server;
  std::unique_ptr<boost::asio::signal_set> signals;
  std::vector<std::thread> threads;
  std::atomic<bool> stop_requested{false};

  std::mutex mutex;
  std::condition_variable cv;
  bool stopped = false;
  bool joined = false;
};

namespace {

// Blocks (a stat): the spool directory must exist; the default is the system's temporary directory.
std::optional<std::string> resolve_spool_dir(config::ServerSettings& server) {
  std::error_code ec;
  if (server.spool_dir.empty()) server.spool_dir = std::filesystem::temp_directory_path(ec).string();
  if (ec) return "no temporary directory for uploads: " + ec.message() + "; set batchgate_settings.spool_dir";
  if (!std::filesystem::is_directory(server.spool_dir, ec))
    return "batchgate_settings.spool_dir '" + server.spool_dir + "' is not a directory";
  return std::nullopt;
}

}  // namespace

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

App::~App() {
  if (!impl_) return;
  request_stop();
  wait();
}

boost::system::result<std::unique_ptr<App>, std::string> App::create(config::Settings settings) {
  if (auto err = resolve_spool_dir(settings.server)) return *err;
  auto store = storage::SqliteStore::open_blocking(settings.general.database_path);
  if (store.has_error())
    return "cannot open the database at general_settings.database_path='" + settings.general.database_path +
           "': " + store.error().message;
  auto impl = std::make_unique<Impl>(std::move(settings), std::move(*store));
  api::add_health_routes(impl->router, impl->routes);
  api::add_key_routes(impl->router, impl->routes);
  api::add_model_routes(impl->router, impl->routes);
  api::add_file_routes(impl->router, impl->routes);
  api::add_batch_routes(impl->router, impl->routes);
  api::add_account_routes(impl->router, impl->routes);
  return std::unique_ptr<App>(new App(std::move(impl)));
}

boost::system::result<std::uint16_t, std::string> App::start() {
  auto& s = impl_->settings.server;
  impl_->server = std::make_unique<http::HttpServer>(
      impl_->ioc, impl_->router,
      http::ServerLimits{s.max_header_bytes, s.read_timeout, s.idle_timeout, s.max_connections});
  auto port = impl_->server->listen(s.host, s.port);
  if (port.has_error())
    return "cannot listen on " + s.host + ":" + std::to_string(s.port) + ": " + port.error().message();
  impl_->lifecycle.start(impl_->ioc.get_executor());
  impl_->file_expiry.start(impl_->ioc.get_executor());
  impl_->upload_sweep.start(impl_->ioc.get_executor());
  impl_->budget_reset.start(impl_->ioc.get_executor());
  for (int i = 0; i < s.worker_threads; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  spdlog::info("batchgate listening on {}:{} ({} models, database {})", s.host, *port,
               impl_->settings.models.size(), impl_->settings.general.database_path);
  return *port;
}

void App::handle_signals() {
  impl_->signals = std::make_unique<boost::asio::signal_set>(impl_->ioc, SIGINT, SIGTERM);
  impl_->signals->async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: shutting down", signo);
    request_stop();
  });
}

void App::request_stop() {
  if (impl_->stop_requested.exchange(true)) return;
  impl_->lifecycle.stop();
  impl_->file_expiry.stop();
  impl_->upload_sweep.stop();
  impl_->budget_reset.stop();
  auto finish = [this] {
    if (impl_->signals) {
      boost::system::error_code ec;
      impl_->signals->cancel(ec);
    }
    impl_->work.reset();
    impl_->ioc.stop();
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    impl_->cv.notify_all();
  };
  if (!impl_->server || impl_->threads.empty()) {
    finish();
    return;
  }
  impl_->server->shutdown(impl_->settings.server.shutdown_grace, finish);
}

void App::wait() {
  if (impl_->joined) return;
  {
    std::unique_lock lock(impl_->mutex);
    impl_->cv.wait(lock, [this] { return impl_->stopped; });
  }
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  impl_->blocking.join();
  impl_->joined = true;
  spdlog::info("batchgate stopped");
}

}  // namespace batchgate
