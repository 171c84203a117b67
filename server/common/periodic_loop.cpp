#include "server/common/periodic_loop.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <utility>

namespace batchgate {

namespace asio = boost::asio;

struct PeriodicLoop::State : std::enable_shared_from_this<State> {
  State(std::string n, std::chrono::milliseconds i, Round r)
      : name(std::move(n)), interval(i), round(std::move(r)) {}

  std::string name;
  std::chrono::milliseconds interval;
  Round round;
  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::unique_ptr<asio::steady_timer> timer;
  std::atomic<bool> stopping{false};
  bool woken = false;  // a wake() arrived during a round: skip the next wait (touched on the strand only)

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    while (!stopping) {
      bool more = false;
      try {
        more = co_await round();
      } catch (const std::exception& e) {
        spdlog::error("{}: {}", name, e.what());
      }
      if (stopping) break;
      if (more || std::exchange(woken, false)) continue;
      timer->expires_after(interval);
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      woken = false;  // the wake that ended this wait is served by the round that follows
    }
  }
};

PeriodicLoop::PeriodicLoop(std::string name, std::chrono::milliseconds interval, Round round)
    : state_(std::make_shared<State>(std::move(name), interval, std::move(round))) {}

PeriodicLoop::~PeriodicLoop() {
  stop();
}

void PeriodicLoop::start(asio::any_io_executor executor) {
  state_->strand.emplace(asio::make_strand(executor));
  state_->timer = std::make_unique<asio::steady_timer>(*state_->strand);
  asio::co_spawn(*state_->strand, state_->run(), asio::detached);
}

void PeriodicLoop::wake() {
  if (!state_->strand) return;
  asio::post(*state_->strand, [state = state_] {
    state->woken = true;
    if (state->timer) state->timer->cancel();
  });
}

void PeriodicLoop::stop() {
  state_->stopping = true;
  if (!state_->strand) return;
  asio::post(*state_->strand, [state = state_] {
    if (state->timer) state->timer->cancel();
  });
}

bool PeriodicLoop::stopping() const {
  return state_->stopping;
}

asio::strand<asio::any_io_executor> PeriodicLoop::strand() const {
  return *state_->strand;
}

}  // namespace batchgate
