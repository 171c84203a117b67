#pragma once
// The batch lifecycle: one background loop that drives every batch that is not finished. Each round reads
// the active batches, plans the job queue (BatchCore::plan_queue: which waiting batches may start a Bedrock
// job now), and for each that has a step due (BatchCore::due) runs BatchCore::advance — at most
// `concurrency` at once, never two for the same batch. It resumes from the store after a restart. It only
// schedules: what a step does is the batch core's.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>

#include "server/batch/batch_core.hpp"
#include "server/common/clock.hpp"
#include "storage/store.hpp"

namespace batchgate::background {

struct LifecycleOptions {
  std::chrono::milliseconds tick{1000};  // how often the active batches are read
  int concurrency = 4;                   // steps in flight at once (batchgate_settings.poll_concurrency)
};

class Lifecycle {
 public:
  Lifecycle(storage::Store& store, boost::asio::thread_pool& blocking, const Clock& clock,
            batch::BatchCore& core, LifecycleOptions options);
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

}  // namespace batchgate::background
