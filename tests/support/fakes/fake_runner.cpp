#include "tests/support/fakes/fake_runner.hpp"

#include <algorithm>

namespace batchgate::test {

using boost::asio::awaitable;
using storage::BatchStatus;
using translators::MissingReason;

batch::JobView FakeRunner::view(std::string_view status) const {
  using batch::JobState;
  if (status == "running") return {JobState::kRunning, std::nullopt};
  if (status == "stopping") return {JobState::kStopping, std::nullopt};
  if (status == "failed") return {JobState::kFailed, std::nullopt};
  if (status == "completed")
    return {JobState::kEnded, batch::Ending{BatchStatus::kCompleted, MissingReason::kMissingOutput}};
  if (status == "partial")
    return {JobState::kEnded, batch::Ending{BatchStatus::kCompleted, MissingReason::kBatchExpired}};
  if (status == "cancelled")
    return {JobState::kEnded, batch::Ending{BatchStatus::kCancelled, MissingReason::kBatchCancelled}};
  if (status == "expired")
    return {JobState::kEnded, batch::Ending{BatchStatus::kExpired, MissingReason::kBatchExpired}};
  return {JobState::kPending, std::nullopt};
}

storage::JobRecord FakeRunner::plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                                    const config::Model&, std::int64_t index) const {
  storage::JobRecord job;
  job.batch_id = batch.id;
  job.job_index = index;
  job.runner = std::string(name());
  job.client_request_token = "tok-" + batch.id + "-" + std::to_string(index);
  job.job_name = "job-" + batch.id;
  job.input_s3_uri = input.bedrock_s3_uri;
  return job;
}

awaitable<batch::RunnerResult<batch::StartedJob>> FakeRunner::submit(const storage::BatchRecord&,
                                                                     const storage::JobRecord& job,
                                                                     const config::Model&) {
  ++submit_calls_;
  if (refusals_ > 0) {
    --refusals_;
    co_return batch::RunnerError{refusal_.retryable, refusal_.code, refusal_.message,
                                 refusal_.code + ": " + refusal_.message, refusal_.quota_full};
  }
  auto [it, fresh] = started_.emplace(job.client_request_token, "fake-job/" + job.client_request_token);
  if (fresh) {
    start_order_.push_back(job.batch_id);
    running_.insert(it->second);
    peak_running_ = std::max(peak_running_, int(running_.size()));
  }
  co_return batch::StartedJob{it->second, "pending", std::nullopt};
}

awaitable<batch::RunnerResult<batch::JobProgress>> FakeRunner::poll(const storage::BatchRecord&,
                                                                    const storage::JobRecord& job,
                                                                    const config::Model&) {
  ++poll_calls_;
  if (poll_failures_ > 0) {
    --poll_failures_;
    co_return batch::RunnerError{true, "InternalServerException", "try later",
                                 "InternalServerException: try later", false};
  }
  batch::JobProgress progress = script_.front();
  if (polls_per_job_)
    progress.status = ++job_polls_[job.job_arn] > *polls_per_job_ ? "completed" : "running";
  else if (script_.size() > 1)
    script_.pop_front();
  const batch::JobState state = view(progress.status).state;
  if (state == batch::JobState::kEnded || state == batch::JobState::kFailed) running_.erase(job.job_arn);
  co_return progress;
}

awaitable<batch::RunnerResult<void>> FakeRunner::stop(const storage::BatchRecord&, const storage::JobRecord&,
                                                      const config::Model&) {
  ++stop_calls_;
  co_return batch::RunnerResult<void>{};
}

awaitable<batch::ObjectResult<batch::OutputReport>> FakeRunner::read_output(const storage::JobRecord&,
                                                                            const config::Model&,
                                                                            batch::ObjectSink sink) {
  batch::OutputReport report;
  if (!output_) co_return report;
  report.found = true;
  if (!co_await sink(*output_)) co_return aws::S3Error{0, "SinkAborted", "the consumer stopped", {}};
  co_return report;
}

}  // namespace batchgate::test
