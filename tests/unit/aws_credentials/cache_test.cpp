// RefreshingCredentials: caching, refresh before expiry with an injected clock, failures inside and after
// the advisory window, and one shared refresh for concurrent callers on several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "server/aws/credentials_cache.hpp"
#include "tests/support/run_coroutine.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;
using std::chrono::minutes;
using std::chrono::seconds;

// A source whose answers the test scripts: each fetch returns "KEY<n>" expiring `lifetime` after the
// (fake) now, unless `fail` is set.
struct FakeSource {
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::optional<seconds> lifetime = minutes(60);
  SystemTime now = SystemTime(seconds(1'700'000'000));
  std::chrono::milliseconds delay{0};

  CredentialsFetch fetch(asio::any_io_executor executor) {
    return [this, executor]() -> asio::awaitable<CredentialsResult<TimedCredentials>> {
      int n = ++calls;
      if (delay.count() > 0) {
        asio::steady_timer timer(executor, delay);
        co_await timer.async_wait(asio::use_awaitable);
      }
      if (fail)
        co_return credentials_error("IMDS at http://stand-in: token request failed: connection refused");
      TimedCredentials out;
      out.credentials = {"KEY" + std::to_string(n), "secret", std::string("token")};
      if (lifetime) out.expiration = now + *lifetime;
      co_return out;
    };
  }
  Clock clock() {
    return [this] { return now; };
  }
};

class CredentialsCacheTest : public ::testing::Test {
 protected:
  std::shared_ptr<RefreshingCredentials> make() {
    return std::make_shared<RefreshingCredentials>(source_.fetch(io_.get_executor()), io_.get_executor(),
                                                   source_.clock(), RefreshPolicy{},
                                                   [this](const std::string& m) { warnings_.push_back(m); });
  }
  CredentialsResult<Credentials> get(RefreshingCredentials& cache) {
    return test::run_coroutine(io_, cache.get());
  }
  std::string key(RefreshingCredentials& cache) {
    auto credentials = get(cache);
    return credentials ? credentials->access_key_id : "error: " + credentials.error().message;
  }

  asio::io_context io_;
  FakeSource source_;
  std::vector<std::string> warnings_;
};

TEST_F(CredentialsCacheTest, FetchesOnceWhileFresh) {
  auto cache = make();
  EXPECT_EQ(key(*cache), "KEY1");
  source_.now += minutes(30);
  EXPECT_EQ(key(*cache), "KEY1");
  EXPECT_EQ(key(*cache), "KEY1");
  EXPECT_EQ(source_.calls, 1);
}

TEST_F(CredentialsCacheTest, LongTermKeysAreNeverRefreshed) {
  source_.lifetime.reset();
  auto cache = make();
  EXPECT_EQ(key(*cache), "KEY1");
  source_.now += std::chrono::hours(24 * 365);
  EXPECT_EQ(key(*cache), "KEY1");
  EXPECT_EQ(source_.calls, 1);
}

TEST_F(CredentialsCacheTest, RefreshesFiveMinutesBeforeExpiration) {
  auto cache = make();
  EXPECT_EQ(key(*cache), "KEY1");  // expires at start + 60 min
  source_.now += minutes(54) + seconds(59);
  EXPECT_EQ(key(*cache), "KEY1");
  source_.now += seconds(2);  // 4 min 59 s left: inside the 5 min window
  EXPECT_EQ(key(*cache), "KEY2");
  EXPECT_EQ(key(*cache), "KEY2");
  EXPECT_EQ(source_.calls, 2);
}

TEST_F(CredentialsCacheTest, AFailedEarlyRefreshKeepsTheCurrentCredentialsUntilTheyExpire) {
  auto cache = make();
  EXPECT_EQ(key(*cache), "KEY1");
  source_.fail = true;
  source_.now += minutes(57);
  EXPECT_EQ(key(*cache), "KEY1");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("connection refused"), std::string::npos);
  // Not retried more than once per retry_interval (10 s) while the old credentials still work.
  source_.now += seconds(5);
  EXPECT_EQ(key(*cache), "KEY1");
  EXPECT_EQ(source_.calls, 2);
  source_.now += seconds(10);
  EXPECT_EQ(key(*cache), "KEY1");
  EXPECT_EQ(source_.calls, 3);
  // Expired: the failure is now the caller's.
  source_.now += minutes(3);
  EXPECT_EQ(key(*cache), "error: IMDS at http://stand-in: token request failed: connection refused");
  source_.fail = false;
  EXPECT_EQ(key(*cache), "KEY5");
}

TEST_F(CredentialsCacheTest, AFailureIsNotCached) {
  source_.fail = true;
  auto cache = make();
  EXPECT_FALSE(get(*cache));
  EXPECT_FALSE(get(*cache));
  source_.fail = false;
  EXPECT_EQ(key(*cache), "KEY3");
}

TEST_F(CredentialsCacheTest, ConcurrentCallersOnSeveralThreadsShareOneRefresh) {
  source_.delay = std::chrono::milliseconds(100);
  auto cache = make();
  constexpr int kCallers = 64;
  std::mutex mutex;
  std::vector<std::string> keys;
  std::set<std::thread::id> threads;
  for (int i = 0; i < kCallers; ++i) {
    asio::co_spawn(
        io_,
        [&, cache]() -> asio::awaitable<void> {
          auto credentials = co_await cache->get();
          std::lock_guard lock(mutex);
          keys.push_back(credentials ? credentials->access_key_id : credentials.error().message);
          threads.insert(std::this_thread::get_id());
        },
        asio::detached);
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) pool.emplace_back([this] { io_.run(); });
  for (auto& thread : pool) thread.join();
  ASSERT_EQ(keys.size(), static_cast<std::size_t>(kCallers));
  for (const std::string& k : keys) EXPECT_EQ(k, "KEY1");
  EXPECT_EQ(source_.calls, 1);
  EXPECT_EQ(cache->fetch_count(), 1);
}

TEST_F(CredentialsCacheTest, ConcurrentCallersAfterExpiryShareOneRefreshToo) {
  auto cache = make();
  EXPECT_EQ(key(*cache), "KEY1");
  source_.now += minutes(61);
  source_.delay = std::chrono::milliseconds(50);
  std::atomic<int> good{0};
  for (int i = 0; i < 16; ++i) {
    asio::co_spawn(
        io_,
        [&, cache]() -> asio::awaitable<void> {
          auto credentials = co_await cache->get();
          if (credentials && credentials->access_key_id == "KEY2") ++good;
        },
        asio::detached);
  }
  io_.restart();
  std::vector<std::thread> pool;
  for (int t = 0; t < 3; ++t) pool.emplace_back([this] { io_.run(); });
  for (auto& thread : pool) thread.join();
  EXPECT_EQ(good, 16);
  EXPECT_EQ(source_.calls, 2);
}

}  // namespace
}  // namespace batchgate::aws
