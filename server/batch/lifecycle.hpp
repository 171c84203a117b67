#pragma once
// The batch lifecycle: one background loop that drives every batch that is not finished — submits its Bedrock
// job (with the clientRequestToken derived from the batch id), stops it when cancelled, polls it with backoff,
// and collects its results into OpenAI output/error files when it ends. It resumes from the store after a
// restart, and it is the only code that calls Bedrock for a batch, so steps for one batch never overlap.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>

#include "config/settings.hpp"
#include "server/common/clock.hpp"
#include "server/common/ids.hpp"
#include "storage/store.hpp"

namespace batchgate::api {
class Backends;
}

namespace batchgate::batch {

class Lifecycle {
 public:
  // `batch_changed` is told the id of every batch the lifecycle writes (readers cache batches).
  Lifecycle(const config::Settings& settings, storage::Store& store, boost::asio::thread_pool& blocking,
            const Clock& clock, IdGenerator& ids, api::Backends& backends,
            std::function<void(const std::string&)> batch_changed = [](const std::string&) {});
  ~Lifecycle();

  void start(boost::asio::any_io_executor executor);
  // Look at the batches now rather than at the next tick (after a create or a cancel). Thread-safe.
  void wake();
  // Stops the loop; steps in flight are abandoned at their next suspension and resumed after a restart.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace batchgate::batch
