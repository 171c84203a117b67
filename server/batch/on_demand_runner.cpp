#include "server/batch/on_demand_runner.hpp"

#include <spdlog/spdlog.h>

#include "server/common/blocking.hpp"

namespace batchgate::batch {

using boost::asio::awaitable;
using storage::BatchStatus;
using translators::MissingReason;

namespace {

constexpr std::int64_t kOutputPage = 500;

std::string run_key(const std::string& batch_id, std::int64_t job_index) {
  return batch_id + "#" + std::to_string(job_index);
}

}  // namespace

OnDemandRunner::OnDemandRunner(CoreDeps deps, Invoker invoke, boost::asio::any_io_executor executor,
                               std::function<void()> changed, OnDemandOptions options)
    : deps_(std::move(deps)),
      invoke_(std::move(invoke)),
      executor_(std::move(executor)),
      changed_(std::move(changed)),
      options_(options) {}

OnDemandRunner::~OnDemandRunner() = default;

JobView OnDemandRunner::view(std::string_view status) const {
  if (status == "running") return {JobState::kRunning, std::nullopt};
  if (status == "completed")
    return {JobState::kEnded, Ending{BatchStatus::kCompleted, MissingReason::kMissingOutput}};
  if (status == "stopped")
    return {JobState::kEnded, Ending{BatchStatus::kCancelled, MissingReason::kBatchCancelled}};
  if (status == "expired")
    return {JobState::kEnded, Ending{BatchStatus::kExpired, MissingReason::kBatchExpired}};
  return {JobState::kPending, std::nullopt};
}

storage::JobRecord OnDemandRunner::plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                                        const config::Model&, std::int64_t index) const {
  storage::JobRecord job;
  job.batch_id = batch.id;
  job.job_index = index;
  job.runner = std::string(kName);
  // Unique like a Bedrock job's token; nothing outside batchgate sees it.
  job.client_request_token = "on-demand-" + batch.id + "-" + std::to_string(index);
  job.job_name = job.client_request_token;
  job.input_s3_uri = input.bedrock_s3_uri;
  return job;
}

CallSlots& OnDemandRunner::slots_for(const config::Model& model) {
  auto& slots = slots_[model.model_name];
  if (!slots) slots = std::make_unique<CallSlots>(executor_, model.on_demand_concurrency);
  return *slots;
}

std::shared_ptr<OnDemandRun> OnDemandRunner::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(key);
  return it == runs_.end() ? nullptr : it->second;
}

std::shared_ptr<OnDemandRun> OnDemandRunner::launch(const storage::BatchRecord& batch,
                                                    const storage::JobRecord& job,
                                                    const config::Model& model) {
  const std::string key = run_key(batch.id, job.job_index);
  std::lock_guard lock(mutex_);
  if (auto it = runs_.find(key); it != runs_.end()) return it->second;
  OnDemandRun::Setup setup{batch.id, job.job_index, job.input_s3_uri, batch.expires_at.value_or(INT64_MAX),
                           &model};
  auto run = std::make_shared<OnDemandRun>(std::move(setup), deps_, invoke_, slots_for(model), options_,
                                           executor_, changed_);
  runs_.emplace(key, run);
  run->start();
  return run;
}

JobProgress OnDemandRunner::progress(std::string status, std::int64_t answered, std::int64_t failed) const {
  JobProgress p;
  p.status = std::move(status);
  p.completed = answered - failed;
  p.failed = failed;
  p.poll_again_in = options_.poll_every;
  return p;
}

awaitable<RunnerResult<StartedJob>> OnDemandRunner::submit(const storage::BatchRecord& batch,
                                                           const storage::JobRecord& job,
                                                           const config::Model& model) {
  launch(batch, job, model);
  co_return StartedJob{"on-demand/" + batch.id + "/" + std::to_string(job.job_index), "running",
                       options_.poll_every};
}

awaitable<RunnerResult<JobProgress>> OnDemandRunner::poll(const storage::BatchRecord& batch,
                                                          const storage::JobRecord& job,
                                                          const config::Model& model) {
  const std::string key = run_key(batch.id, job.job_index);
  std::shared_ptr<OnDemandRun> run = find(key);
  if (!run) {
    // Not running in this process (a restart, or a run that was interrupted): end it or run the rest.
    auto counts = co_await run_blocking(
        deps_.blocking, [&] { return deps_.store.record_result_counts(batch.id, job.job_index); });
    if (!counts)
      co_return RunnerError{true, "StoreUnavailable", counts.error().message, counts.error().message, false};
    if (job.stop_requested) co_return progress("stopped", counts->answered, counts->failed);
    if (batch.expires_at && deps_.clock.now_seconds() >= *batch.expires_at)
      co_return progress("expired", counts->answered, counts->failed);
    run = launch(batch, job, model);
    co_return progress("running", counts->answered, counts->failed);
  }
  const OnDemandRun::State state = run->state();
  if (state == OnDemandRun::State::kRunning) co_return progress("running", run->answered(), run->failed());
  {
    std::lock_guard lock(mutex_);
    runs_.erase(key);
  }
  switch (state) {
    case OnDemandRun::State::kCompleted:
      co_return progress("completed", run->answered(), run->failed());
    case OnDemandRun::State::kStopped:
      co_return progress("stopped", run->answered(), run->failed());
    case OnDemandRun::State::kExpired:
      co_return progress("expired", run->answered(), run->failed());
    default: {
      // Interrupted (input unreadable, store unavailable): the next poll runs the rest again.
      JobProgress p = progress("running", run->answered(), run->failed());
      p.message = run->problem();
      p.poll_again_in = std::max<std::int64_t>(options_.poll_every, 5);
      co_return p;
    }
  }
}

awaitable<RunnerResult<void>> OnDemandRunner::stop(const storage::BatchRecord& batch,
                                                   const storage::JobRecord& job, const config::Model&) {
  if (auto run = find(run_key(batch.id, job.job_index))) run->request_stop();
  co_return RunnerResult<void>{};
}

awaitable<ObjectResult<OutputReport>> OnDemandRunner::read_output(const storage::JobRecord& job,
                                                                  const config::Model&, ObjectSink sink) {
  OutputReport report;
  report.found = true;
  for (std::int64_t after = -1;;) {
    auto page = co_await run_blocking(deps_.blocking, [&] {
      return deps_.store.record_results(job.batch_id, job.job_index, after, kOutputPage);
    });
    if (!page) co_return aws::S3Error{0, "StoreUnavailable", page.error().message, {}};
    if (page->empty()) break;
    std::string chunk;
    for (const storage::RecordResult& r : *page) {
      chunk += r.line;
      chunk += '\n';
    }
    after = page->back().record_index;
    if (!co_await sink(chunk)) co_return aws::S3Error{0, "SinkAborted", "the collector stopped reading", {}};
    if (std::int64_t(page->size()) < kOutputPage) break;
  }
  co_return report;
}

}  // namespace batchgate::batch
