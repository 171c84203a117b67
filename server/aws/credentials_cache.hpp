#pragma once

// Caches credentials from a source and refreshes them before they expire (spec/aws-sigv4-s3.md §4:
// refresh 5–15 min before Expiration). Thread-safe: coroutines on several threads may call get() at once;
// they share one refresh (the first caller fetches, the others wait for its result).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/aws/credentials_documents.hpp"
#include "server/aws/http_client.hpp"

namespace batchgate::aws {

using CredentialsFetch = std::function<boost::asio::awaitable<CredentialsResult<TimedCredentials>>()>;
using WarningLog = std::function<void(const std::string& message)>;

class RefreshingCredentials : public std::enable_shared_from_this<RefreshingCredentials> {
 public:
  // `executor` receives waiters' completions when their handler has no executor of its own.
  RefreshingCredentials(CredentialsFetch fetch, boost::asio::any_io_executor executor, Clock clock,
                        RefreshPolicy policy, WarningLog warn);

  // Cached credentials when fresh; otherwise a refresh (shared with concurrent callers). A failed
  // advisory refresh keeps the cached credentials (and logs a warning) until they actually expire.
  boost::asio::awaitable<CredentialsResult<Credentials>> get();

  // How many times the source was fetched (tests, diagnostics).
  int fetch_count() const;

 private:
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void complete(CredentialsResult<TimedCredentials> outcome) = 0;
  };
  template <typename Handler>
  struct HandlerWaiter;

  boost::asio::awaitable<CredentialsResult<TimedCredentials>> refresh_as_leader();
  boost::asio::awaitable<CredentialsResult<TimedCredentials>> wait_for_refresh();
  SystemTime now() const;

  CredentialsFetch fetch_;
  boost::asio::any_io_executor executor_;
  Clock clock_;
  RefreshPolicy policy_;
  WarningLog warn_;

  mutable std::mutex mutex_;
  std::optional<TimedCredentials> cached_;
  std::optional<SystemTime> last_attempt_;
  bool refreshing_ = false;
  CredentialsResult<TimedCredentials> last_outcome_{CredentialsError{"no refresh yet"}};
  std::vector<std::unique_ptr<Waiter>> waiters_;
  int fetch_count_ = 0;
};

}  // namespace batchgate::aws
