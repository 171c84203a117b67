#pragma once
// Records run on demand, as a RecordRunner: a batch below its model's min_batch_records (Bedrock's batch-job
// minimum) runs record by record through Bedrock's runtime API, InvokeModel — a batch record's modelInput is
// the InvokeModel body for every family batchgate supports — behind the same Batch API: the same statuses and
// timestamps, live request_counts, the same OpenAI output and error files (read_output hands the stored
// answers to the collector as Bedrock output lines), cancel, and `expired` at the completion window. Calls
// per model are bounded (on_demand_concurrency); every answer is stored as it arrives, so a crash or a
// restart never invokes an answered record again. Spend is at the model's on-demand price.
//
// Status words: running, completed, stopped (cancelled), expired.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/batch/on_demand_run.hpp"
#include "server/batch/record_runner.hpp"

namespace batchgate::batch {

class OnDemandRunner final : public RecordRunner {
 public:
  static constexpr std::string_view kName = "on_demand_invoke";

  // `changed` is called when a job's run ends (the lifecycle may poll it at once).
  OnDemandRunner(CoreDeps deps, Invoker invoke, boost::asio::any_io_executor executor,
                 std::function<void()> changed, OnDemandOptions options = {});
  ~OnDemandRunner() override;

  std::string_view name() const override { return kName; }
  bool batch_priced() const override { return false; }
  bool counts_against_job_quota() const override { return false; }
  JobView view(std::string_view status) const override;
  storage::JobRecord plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                          const config::Model& model, std::int64_t index) const override;
  boost::asio::awaitable<RunnerResult<StartedJob>> submit(const storage::BatchRecord& batch,
                                                          const storage::JobRecord& job,
                                                          const config::Model& model) override;
  boost::asio::awaitable<RunnerResult<JobProgress>> poll(const storage::BatchRecord& batch,
                                                         const storage::JobRecord& job,
                                                         const config::Model& model) override;
  boost::asio::awaitable<RunnerResult<void>> stop(const storage::BatchRecord& batch,
                                                  const storage::JobRecord& job,
                                                  const config::Model& model) override;
  boost::asio::awaitable<ObjectResult<OutputReport>> read_output(const storage::JobRecord& job,
                                                                 const config::Model& model,
                                                                 ObjectSink sink) override;

 private:
  std::shared_ptr<OnDemandRun> find(const std::string& key);
  std::shared_ptr<OnDemandRun> launch(const storage::BatchRecord& batch, const storage::JobRecord& job,
                                      const config::Model& model);
  CallSlots& slots_for(const config::Model& model);
  JobProgress progress(std::string status, std::int64_t answered, std::int64_t failed) const;

  CoreDeps deps_;
  Invoker invoke_;
  boost::asio::any_io_executor executor_;
  std::function<void()> changed_;
  OnDemandOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<OnDemandRun>> runs_;  // by batch id and job index
  std::map<std::string, std::unique_ptr<CallSlots>> slots_;   // by model name
};

}  // namespace batchgate::batch
