// BatchCore: the steps that drive a batch that is not finished (the lifecycle calls advance()).
#include <spdlog/spdlog.h>

#include "server/batch/batch_core.hpp"
#include "server/batch/transitions.hpp"
#include "server/common/blocking.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;
using storage::BatchStatus;

// The batch's errors with the queued-near-deadline entry as the job's state says; logged when it appears.
std::string queued_warning(const storage::BatchRecord& b,
                           const std::optional<std::pair<std::int64_t, std::int64_t>>& queued_until,
                           std::int64_t now) {
  if (storage::is_terminal(b.status)) return b.errors_json;
  auto message = queued_near_deadline(queued_until, now);
  std::string errors = with_queued_warning(b.errors_json, message);
  if (message && errors != b.errors_json && b.errors_json.find(kQueuedNearDeadline) == std::string::npos)
    spdlog::warn("lifecycle: batch {}: {}", b.id, *message);
  return errors;
}

}  // namespace

JobView BatchCore::view_of(const storage::JobRecord& job) const {
  const RecordRunner* runner = runners_.find(job.runner);
  return runner ? runner->view(job.bedrock_status) : JobView{};
}

awaitable<void> BatchCore::advance(storage::BatchRecord b, storage::JobRecord j) {
  const config::Model* model = d_.settings.find_model(b.model);
  if (!model) {
    std::string why = "Model '" + b.model + "' is no longer configured.";
    co_return co_await end_without_results(std::move(b), BatchStatus::kFailed, "model_not_configured",
                                           std::move(why));
  }
  RecordRunner* runner = runners_.find(j.runner);
  if (!runner) {
    std::string why = "The batch's job runs on '" + j.runner + "', which this gateway does not have.";
    co_return co_await end_without_results(std::move(b), BatchStatus::kFailed, "unknown_runner",
                                           std::move(why));
  }
  switch (next_action(b, j, runner->view(j.bedrock_status))) {
    case Action::kNone:
      break;
    case Action::kCancelWithoutJob: {
      std::string none;
      co_await end_without_results(std::move(b), BatchStatus::kCancelled, none, none);
      break;
    }
    case Action::kSubmit:
      if (b.expires_at && *b.expires_at <= d_.clock.now_seconds()) {
        // The completion window passed while the batch waited for its job to start.
        NeverStarted why = never_started(b, j, model->max_concurrent_jobs);
        co_await end_without_results(std::move(b), BatchStatus::kExpired, std::move(why.code),
                                     std::move(why.message));
        break;
      }
      co_await submit(std::move(b), std::move(j), *runner, *model);
      break;
    case Action::kStop: {
      storage::JobRecord stopped = co_await stop(b, std::move(j), *runner, *model);
      co_await poll(std::move(b), std::move(stopped), *runner, *model);
      break;
    }
    case Action::kPoll:
      co_await poll(std::move(b), std::move(j), *runner, *model);
      break;
    case Action::kCollect:
      co_await finish(std::move(b), std::move(j), *runner, *model);
      break;
  }
}

awaitable<bool> BatchCore::save_job(const storage::JobRecord& j) {
  auto r = co_await run_blocking(d_.blocking, [&] { return d_.store.update_job(j); });
  if (r.has_error()) spdlog::error("lifecycle: saving job of {} failed: {}", j.batch_id, r.error().message);
  co_return r.has_value();
}

awaitable<void> BatchCore::backoff(storage::JobRecord j, std::string why) {
  j.poll_interval = next_interval(j.poll_interval, false, min_interval(), max_interval());
  j.next_poll_at = d_.clock.now_seconds() + j.poll_interval;
  j.updated_at = d_.clock.now_seconds();
  spdlog::warn("lifecycle: batch {}: {}; next try in {} s", j.batch_id, why, j.poll_interval);
  co_await save_job(j);
}

// Ends the batch without output files (failed, or cancelled before its job started).
awaitable<void> BatchCore::end_without_results(storage::BatchRecord b, BatchStatus status, std::string code,
                                               std::string message) {
  end_batch(b, status, d_.clock.now_seconds());
  if (!code.empty()) b.errors_json = batch_errors_json(code, message);
  auto r = co_await run_blocking(d_.blocking, [&] { return d_.store.finish_batch(b, {}, std::nullopt); });
  hooks_.batch_changed(b.id);
  if (r.has_error()) {
    spdlog::warn("lifecycle: ending {} as {}: {}", b.id, storage::to_string(status), r.error().message);
    co_return;
  }
  if (!message.empty()) spdlog::info("lifecycle: batch {} {}: {}", b.id, storage::to_string(status), message);
}

awaitable<void> BatchCore::submit(storage::BatchRecord b, storage::JobRecord j, RecordRunner& runner,
                                  const config::Model& model) {
  auto started = co_await runner.submit(b, j, model);
  if (!started) {
    const RunnerError& e = started.error();
    if (e.quota_full) {
      // Not a failure: the batch stays validating in the job queue (job_queue.hpp) and tries again.
      j.quota_full_at = d_.clock.now_seconds();
      std::string why = "the job quota is full, the batch waits for a slot: " + e.detail;
      co_return co_await backoff(std::move(j), std::move(why));
    }
    if (e.retryable) {
      std::string why = "submitting the job: " + e.detail;
      co_return co_await backoff(std::move(j), std::move(why));
    }
    // Refused for good (validation, access): the batch fails with the runner's reason. The strings
    // are built before the co_await: g++ 12 (PR 101367) mishandles temporaries inside co_await expressions.
    std::string code = e.code.empty() ? std::string("bedrock_refused") : e.code;
    std::string message = "Bedrock refused the batch job: " + e.message;
    co_return co_await end_without_results(std::move(b), BatchStatus::kFailed, std::move(code),
                                           std::move(message));
  }
  j.job_arn = std::move(started->id);
  j.bedrock_status = std::move(started->status);
  j.started_at = d_.clock.now_seconds();
  j.quota_full_at.reset();
  j.poll_interval = min_interval();
  j.next_poll_at = d_.clock.now_seconds() + started->poll_again_in.value_or(j.poll_interval);
  j.updated_at = d_.clock.now_seconds();
  spdlog::info("lifecycle: batch {} submitted as {}", b.id, j.job_arn);
  co_await save_job(j);
}

awaitable<storage::JobRecord> BatchCore::stop(storage::BatchRecord b, storage::JobRecord j,
                                              RecordRunner& runner, const config::Model& model) {
  auto stopped = co_await runner.stop(b, j, model);
  if (!stopped) {
    spdlog::warn("lifecycle: stopping {} failed: {}", j.batch_id, stopped.error().detail);
    co_return j;
  }
  j.stop_requested = true;
  j.updated_at = d_.clock.now_seconds();
  co_await save_job(j);
  co_return j;
}

awaitable<void> BatchCore::poll(storage::BatchRecord b, storage::JobRecord j, RecordRunner& runner,
                                const config::Model& model) {
  auto got = co_await runner.poll(b, j, model);
  if (!got) {
    std::string why = "polling the job: " + got.error().detail;
    co_return co_await backoff(std::move(j), std::move(why));
  }
  const auto now = d_.clock.now_seconds();
  const JobView view = runner.view(got->status);
  auto seen = observe(b, view, got->message, now);
  const bool status_changed = got->status != j.bedrock_status;
  if (got->completed) seen.batch.completed = *got->completed;
  if (got->failed) seen.batch.failed = *got->failed;
  seen.batch.errors_json = queued_warning(seen.batch, got->queued_until, now);
  const bool counts_changed = seen.batch.completed != b.completed || seen.batch.failed != b.failed ||
                              seen.batch.errors_json != b.errors_json;
  if (seen.batch.status == BatchStatus::kFailed) {
    std::string why = got->message.value_or("The Bedrock job failed.");
    co_return co_await end_without_results(std::move(b), BatchStatus::kFailed, "bedrock_job_failed",
                                           std::move(why));
  }
  if (seen.changed || counts_changed) {
    auto saved = co_await run_blocking(d_.blocking, [&] { return d_.store.update_batch(seen.batch); });
    hooks_.batch_changed(b.id);
    if (saved.has_error()) co_return;  // changed meanwhile (a cancel): the next round sees the new state
    seen.batch = *saved;
  }
  j.bedrock_status = got->status;
  j.message = got->message.value_or("");
  j.poll_interval = next_interval(j.poll_interval, status_changed, min_interval(), max_interval());
  j.next_poll_at = now + got->poll_again_in.value_or(j.poll_interval);
  j.updated_at = now;
  if (!co_await save_job(j)) co_return;
  if (seen.collect) co_await finish(std::move(seen.batch), std::move(j), runner, model);
}

}  // namespace batchgate::batch
