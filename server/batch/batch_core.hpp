#pragma once
// The batch core: the one place that owns a batch's rules. Routes parse and render, the lifecycle
// schedules; both call it.
// - create: checks the input file against the request and the model, plans the batch's job with the
//   model's runner (names, idempotency token, output location), stores batch and job before any runner is
//   called, so a retried or resumed submit never starts a second job;
// - cancel: compare-and-set to cancelling (the lifecycle stops the job);
// - advance: one step of a batch that is not finished: submit, stop, poll or collect;
// - plan_queue: which batches waiting for a Bedrock batch job may submit it now (job_queue.hpp), and the
//   queue positions the routes show;
// - finish: the OpenAI output and error files and the spend, at the price of how the records ran.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "config/settings.hpp"
#include "server/batch/batch_params.hpp"
#include "server/batch/job_queue.hpp"
#include "server/batch/object_store.hpp"
#include "server/batch/principal.hpp"
#include "server/batch/record_runner.hpp"
#include "server/common/api_error.hpp"
#include "server/common/clock.hpp"
#include "server/common/ids.hpp"
#include "storage/store.hpp"
#include "translators/cost.hpp"

namespace batchgate::batch {

// The runners jobs name, and which one a new batch runs on.
class Runners {
 public:
  enum class Role {
    kBatchJobs,     // batches of at least the model's min_batch_records (Bedrock batch jobs)
    kSmallBatches,  // batches below it, when the model allows on_demand_fallback
  };
  void add(RecordRunner& runner, Role role = Role::kBatchJobs);
  RecordRunner* find(std::string_view name) const;
  // The runner a new batch of this model runs on.
  RecordRunner& for_new_batch(const config::Model& model, const storage::FileRecord& input) const;

 private:
  std::map<std::string, RecordRunner*, std::less<>> runners_;
  RecordRunner* batch_jobs_ = nullptr;
  RecordRunner* small_batches_ = nullptr;
};

using ObjectStores = std::function<ObjectStore&(const config::Model& model)>;

// Bedrock batch jobs cost the model's batch prices; records run one by one cost its on-demand prices.
translators::TokenPrices prices_of(const config::Model& model, bool batch_priced);

struct CoreHooks {
  std::function<void(const std::string& batch_id)> batch_changed = [](const std::string&) {};  // caches
  std::function<void()> work_added = [] {};  // a batch needs a step now (after create or cancel)
};

// What every part of the batch core works with, wired once by the app.
struct CoreDeps {
  const config::Settings& settings;
  storage::Store& store;
  boost::asio::thread_pool& blocking;  // every store call runs there
  const Clock& clock;
  IdGenerator& ids;
  ObjectStores objects;
};

class BatchCore {
 public:
  BatchCore(CoreDeps deps, const Runners& runners, CoreHooks hooks)
      : d_(std::move(deps)), runners_(runners), hooks_(std::move(hooks)) {}

  using Outcome = std::variant<storage::BatchRecord, ApiError>;
  boost::asio::awaitable<Outcome> create(const Principal& who, CreateBatchParams params);
  // A finished (or already cancelling) batch is returned as it is.
  boost::asio::awaitable<Outcome> cancel(const Principal& who, std::string batch_id);

  // The job queue of this round, from every active batch, the latest job starts per model and key
  // (Store::job_starts) and the batches whose step is under way; keeps its positions for queue_position().
  QueuePlan plan_queue(const std::vector<storage::ActiveBatch>& active,
                       const std::vector<storage::JobStart>& starts, const std::set<std::string>& stepping,
                       std::int64_t now);
  // The batch's place in its model's job queue (1 = next to start) as of the last plan; nullopt when it is
  // not waiting for a slot. Thread-safe.
  std::optional<std::int64_t> queue_position(const std::string& batch_id) const;

  // Whether the batch has a step to run at `now`: a poll or a retried submit waits for next_poll_at, a submit
  // waits for its turn in `plan`; past its completion window an unstarted batch is due (to expire).
  bool due(const storage::ActiveBatch& active, std::int64_t now, const QueuePlan& plan) const;
  // Runs the batch's next step. Failures are logged and retried at the job's next poll time.
  boost::asio::awaitable<void> advance(storage::BatchRecord batch, storage::JobRecord job);

 private:
  JobView view_of(const storage::JobRecord& job) const;
  std::optional<int> max_jobs(std::string_view model) const;
  boost::asio::awaitable<void> submit(storage::BatchRecord b, storage::JobRecord j, RecordRunner& runner,
                                      const config::Model& model);
  // The job as it is after the stop (stop_requested once the runner took it).
  boost::asio::awaitable<storage::JobRecord> stop(storage::BatchRecord b, storage::JobRecord j,
                                                  RecordRunner& runner, const config::Model& model);
  boost::asio::awaitable<void> poll(storage::BatchRecord b, storage::JobRecord j, RecordRunner& runner,
                                    const config::Model& model);
  boost::asio::awaitable<void> finish(storage::BatchRecord b, storage::JobRecord j, RecordRunner& runner,
                                      const config::Model& model);
  boost::asio::awaitable<void> backoff(storage::JobRecord j, std::string why);
  boost::asio::awaitable<bool> save_job(const storage::JobRecord& j);
  boost::asio::awaitable<void> end_without_results(storage::BatchRecord b, storage::BatchStatus status,
                                                   std::string code, std::string message);
  std::int64_t min_interval() const { return d_.settings.server.poll_interval_min.count(); }
  std::int64_t max_interval() const { return d_.settings.server.poll_interval_max.count(); }

  CoreDeps d_;
  const Runners& runners_;
  CoreHooks hooks_;
  mutable std::mutex queue_mutex_;
  std::map<std::string, std::int64_t, std::less<>> queue_positions_;  // guarded by queue_mutex_
};

}  // namespace batchgate::batch
