#include "server/aws/credentials_cache.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace batchgate::aws {

namespace asio = boost::asio;

using Outcome = CredentialsResult<TimedCredentials>;

// A suspended get() waiting for another caller's refresh. Keeps its executor's work count up so the
// io_context does not run out of work while it waits, and resumes the coroutine on that executor.
template <typename Handler>
struct RefreshingCredentials::HandlerWaiter final : Waiter {
  HandlerWaiter(Handler h, asio::any_io_executor ex) : handler(std::move(h)), executor(std::move(ex)) {}

  void complete(Outcome outcome) override {
    asio::post(executor, [h = std::move(handler), outcome = std::move(outcome)]() mutable {
      std::move(h)(std::move(outcome));
    });
  }

  Handler handler;
  asio::any_io_executor executor;
};

RefreshingCredentials::RefreshingCredentials(CredentialsFetch fetch, asio::any_io_executor executor,
                                             Clock clock, RefreshPolicy policy, WarningLog warn)
    : fetch_(std::move(fetch)),
      executor_(std::move(executor)),
      clock_(std::move(clock)),
      policy_(policy),
      warn_(std::move(warn)) {}

SystemTime RefreshingCredentials::now() const {
  return clock_ ? clock_() : std::chrono::system_clock::now();
}

int RefreshingCredentials::fetch_count() const {
  std::lock_guard lock(mutex_);
  return fetch_count_;
}

asio::awaitable<CredentialsResult<Credentials>> RefreshingCredentials::get() {
  const SystemTime started = now();
  bool lead = false;
  {
    std::lock_guard lock(mutex_);
    RefreshNeed need = refresh_need(cached_, started, last_attempt_, policy_);
    // Inside the advisory window only one caller refreshes; the others keep using what is cached.
    if (need == RefreshNeed::kNone || (need == RefreshNeed::kAdvisory && refreshing_)) {
      co_return cached_->credentials;
    }
    if (!refreshing_) {
      refreshing_ = true;
      last_attempt_ = started;
      ++fetch_count_;
      lead = true;
    }
  }
  // Two statements, not `lead ? co_await a : co_await b`: g++ 12 miscompiles co_await inside ?:.
  Outcome outcome{CredentialsError{"credentials refresh did not complete"}};
  if (lead) {
    outcome = co_await refresh_as_leader();
  } else {
    outcome = co_await wait_for_refresh();
  }
  if (!outcome) co_return outcome.error();
  co_return outcome->credentials;
}

asio::awaitable<Outcome> RefreshingCredentials::refresh_as_leader() {
  Outcome fetched{CredentialsError{"credentials fetch did not complete"}};
  try {
    fetched = co_await fetch_();
  } catch (const std::exception& e) {
    fetched = credentials_error(std::string("unexpected error while fetching credentials: ") + e.what());
  }
  Outcome outcome = fetched;
  bool kept_old = false;
  std::vector<std::unique_ptr<Waiter>> waiters;
  {
    std::lock_guard lock(mutex_);
    if (fetched) {
      cached_ = *fetched;
    } else if (cached_ && cached_->expiration && now() < *cached_->expiration) {
      outcome = *cached_;
      kept_old = true;
    }
    refreshing_ = false;
    last_outcome_ = outcome;
    waiters.swap(waiters_);
  }
  if (kept_old && warn_) {
    warn_("AWS credentials refresh failed; using the current credentials until they expire: " +
          fetched.error().message);
  }
  for (auto& waiter : waiters) waiter->complete(outcome);
  co_return outcome;
}

asio::awaitable<Outcome> RefreshingCredentials::wait_for_refresh() {
  auto initiate = [this](auto handler) {
    asio::any_io_executor executor =
        asio::prefer(asio::any_io_executor(asio::get_associated_executor(handler, executor_)),
                     asio::execution::outstanding_work.tracked);
    std::unique_lock lock(mutex_);
    if (!refreshing_) {
      // The refresh ended between get()'s check and now: its outcome is final.
      Outcome outcome = last_outcome_;
      lock.unlock();
      asio::post(executor, [h = std::move(handler), outcome = std::move(outcome)]() mutable {
        std::move(h)(std::move(outcome));
      });
      return;
    }
    waiters_.push_back(std::make_unique<HandlerWaiter<decltype(handler)>>(std::move(handler), executor));
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Outcome)>(initiate,
                                                                                        asio::use_awaitable);
}

}  // namespace batchgate::aws
