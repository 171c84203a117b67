#include "server/background/lifecycle.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <set>
#include <string>
#include <vector>

#include "server/common/blocking.hpp"
#include "server/common/periodic_loop.hpp"

namespace batchgate::background {

namespace asio = boost::asio;
using asio::awaitable;

struct Lifecycle::Impl : std::enable_shared_from_this<Impl> {
  Impl(storage::Store& s, asio::thread_pool& b, const Clock& c, batch::BatchCore& co, LifecycleOptions o)
      : store(s), blocking(b), clock(c), core(co), options(o) {}

  storage::Store& store;
  asio::thread_pool& blocking;
  const Clock& clock;
  batch::BatchCore& core;
  LifecycleOptions options;
  std::unique_ptr<PeriodicLoop> loop;
  std::set<std::string> in_flight;  // batch ids with a step running; touched on the loop's strand only

  awaitable<bool> round() {
    // Steps under way as the store is read: one that ends during the read may have left a stale row (a job
    // not yet started), so it still takes its slot in the queue and is not stepped again this round.
    std::set<std::string> stepping = in_flight;
    auto active = co_await run_blocking(blocking, [this] { return store.active_batches(); });
    if (active.has_error()) {
      spdlog::error("lifecycle: reading batches failed: {}", active.error().message);
      co_return false;
    }
    const auto now = clock.now_seconds();
    // Named first: g++ 12 (PR 101367) mishandles temporaries inside co_await expressions.
    const std::vector<storage::JobStart> starts = co_await job_starts(now);
    stepping.insert(in_flight.begin(), in_flight.end());
    const batch::QueuePlan plan = core.plan_queue(*active, starts, stepping, now);
    for (storage::ActiveBatch& a : *active) {
      if (loop->stopping() || in_flight.size() >= std::size_t(options.concurrency)) break;
      if (stepping.contains(a.batch.id) || !core.due(a, now, plan)) continue;
      in_flight.insert(a.batch.id);
      asio::co_spawn(loop->strand(), step(std::move(a)), asio::detached);
    }
    co_return false;
  }

  // The latest job start per model and key, for the job queue's turns; none when the store fails (the queue
  // still keeps to max_concurrent_jobs, only its turns fall back to oldest first).
  awaitable<std::vector<storage::JobStart>> job_starts(std::int64_t now) {
    auto starts = co_await run_blocking(
        blocking, [this, now] { return store.job_starts(now - batch::kJobStartsHorizon); });
    if (starts.has_error()) {
      spdlog::warn("lifecycle: reading job starts failed: {}", starts.error().message);
      co_return std::vector<storage::JobStart>{};
    }
    co_return std::move(*starts);
  }

  awaitable<void> step(storage::ActiveBatch a) {
    auto self = shared_from_this();
    const std::string id = a.batch.id;
    try {
      co_await core.advance(std::move(a.batch), std::move(a.job));
    } catch (const std::exception& e) {
      spdlog::error("lifecycle: batch {}: {}", id, e.what());
    }
    in_flight.erase(id);
  }
};

Lifecycle::Lifecycle(storage::Store& store, asio::thread_pool& blocking, const Clock& clock,
                     batch::BatchCore& core, LifecycleOptions options)
    : impl_(std::make_shared<Impl>(store, blocking, clock, core, options)) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop = std::make_unique<PeriodicLoop>("lifecycle", options.tick, [weak]() -> awaitable<bool> {
    auto impl = weak.lock();
    if (!impl) co_return false;
    co_return co_await impl->round();
  });
}

Lifecycle::~Lifecycle() {
  stop();
}

void Lifecycle::start(asio::any_io_executor executor) {
  impl_->loop->start(executor);
}
void Lifecycle::wake() {
  impl_->loop->wake();
}
void Lifecycle::stop() {
  impl_->loop->stop();
}

}  // namespace batchgate::background
