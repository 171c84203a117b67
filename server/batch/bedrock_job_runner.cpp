#include "server/batch/bedrock_job_runner.hpp"

#include <algorithm>

#include "server/batch/bedrock_job_status.hpp"
#include "server/batch/object_layout.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;

// "batch_AbC…" → "AbC…"
std::string_view id_suffix(std::string_view batch_id) {
  auto pos = batch_id.find('_');
  return pos == std::string_view::npos ? batch_id : batch_id.substr(pos + 1);
}

std::string basename(const std::string& key) {
  auto slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

// Throttling, 5xx and transport failures pass; a full job quota waits for a slot; validation and access
// refusals are for good.
RunnerError runner_error(const aws::BedrockError& e) {
  const bool retryable = e.kind == aws::BedrockErrc::kThrottling || e.kind == aws::BedrockErrc::kInternal ||
                         e.kind == aws::BedrockErrc::kOther;
  const bool quota_full = e.kind == aws::BedrockErrc::kQuotaExceeded;
  return {retryable, e.code, e.message, e.to_string(), quota_full};
}

std::int64_t unix_seconds(aws::Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

bool stop_is_settled(const aws::BedrockError& e) {
  return e.kind == aws::BedrockErrc::kValidation || e.kind == aws::BedrockErrc::kConflict ||
         e.message.find("cannot be stopped") != std::string::npos;
}

std::string client_request_token(std::string_view batch_id, std::int64_t job_index) {
  return "batchgate-" + std::string(id_suffix(batch_id)) + "-" + std::to_string(job_index);
}

std::string job_name(std::string_view batch_id, std::int64_t job_index) {
  return "batchgate-" + std::string(id_suffix(batch_id)) + "-" + std::to_string(job_index);
}

JobView BedrockJobRunner::view(std::string_view status) const {
  return bedrock_job_view(status);
}

storage::JobRecord BedrockJobRunner::plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                                          const config::Model& model, std::int64_t index) const {
  storage::JobRecord job;
  job.batch_id = batch.id;
  job.job_index = index;
  job.runner = std::string(kName);
  job.client_request_token = client_request_token(batch.id, index);
  job.job_name = job_name(batch.id, index);
  job.input_s3_uri = input.bedrock_s3_uri;
  job.output_s3_uri = aws::s3_uri(bedrock_output_folder(model, batch.id));
  return job;
}

awaitable<RunnerResult<StartedJob>> BedrockJobRunner::submit(const storage::BatchRecord& batch,
                                                              const storage::JobRecord& job,
                                                              const config::Model& model) {
  aws::CreateJobRequest req;
  req.job_name = job.job_name;
  req.role_arn = model.aws_batch_role_arn;
  req.client_request_token = job.client_request_token;
  req.model_id = model.bedrock_model_id;
  req.input.s3_uri = job.input_s3_uri;
  req.output.s3_uri = job.output_s3_uri;
  if (!model.s3_encryption_key_id.empty()) req.output.s3_encryption_key_id = model.s3_encryption_key_id;
  // The completion window is Bedrock's timeoutDurationInHours (24–168).
  if (batch.expires_at)
    req.timeout_duration_in_hours =
        int(std::clamp<std::int64_t>((*batch.expires_at - batch.created_at) / 3600, 24, 168));
  auto arn = co_await clients_.bedrock(model).create_model_invocation_job(std::move(req));
  if (!arn) co_return runner_error(arn.error());
  co_return StartedJob{std::move(*arn), "Submitted", std::nullopt};
}

awaitable<RunnerResult<JobProgress>> BedrockJobRunner::poll(const storage::BatchRecord&,
                                                            const storage::JobRecord& job,
                                                            const config::Model& model) {
  auto got = co_await clients_.bedrock(model).get_model_invocation_job(job.job_arn);
  if (!got) co_return runner_error(got.error());
  JobProgress progress{got->status, got->message, got->success_record_count, got->error_record_count, {}, {}};
  // A Scheduled job not started by jobExpirationTime ends Expired without output (spec/bedrock-batch.md §6).
  if (got->status == "Scheduled" && got->job_expiration_time)
    progress.queued_until = {unix_seconds(got->submit_time), unix_seconds(*got->job_expiration_time)};
  co_return progress;
}

awaitable<RunnerResult<void>> BedrockJobRunner::stop(const storage::BatchRecord&, const storage::JobRecord& job,
                                                     const config::Model& model) {
  auto stopped = co_await clients_.bedrock(model).stop_model_invocation_job(job.job_arn);
  // A job that already ended answers ValidationException ("Job cannot be stopped. State was: Completed"),
  // one whose state is changing meanwhile ConflictException (spec/bedrock-batch.md §6): either way there is
  // nothing more to ask, and polling shows how the job ends. Asking again would repeat on every poll.
  if (!stopped && !stop_is_settled(stopped.error())) co_return runner_error(stopped.error());
  co_return RunnerResult<void>{};
}

awaitable<ObjectResult<OutputReport>> BedrockJobRunner::read_output(const storage::JobRecord& job,
                                                                    const config::Model& model,
                                                                    ObjectSink sink) {
  auto folder = aws::parse_s3_uri(job.output_s3_uri);
  auto input = aws::parse_s3_uri(job.input_s3_uri);
  if (!folder || !input)
    co_return aws::S3Error{0, "InvalidUri", "job " + job.job_name + " has no valid S3 locations", {}};
  co_return co_await read_bedrock_job_output(clients_.objects(model), std::move(*folder),
                                             job_id_from_arn(job.job_arn), basename(input->key),
                                             std::move(sink), job.batch_id);
}

void throw_exception_from_error(const RunnerError& error, const boost::source_location&) {
  throw std::runtime_error(error.detail.empty() ? error.message : error.detail);
}

}  // namespace batchgate::batch
