#include "server/batch/bedrock_job_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/batch/bedrock_job_status.hpp"
#include "server/batch/collector_layout.hpp"
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

bool no_such_key(const aws::S3Error& e) {
  return e.code == "NoSuchKey";
}

}  // namespace

std::string client_request_token(std::string_view batch_id, std::int64_t job_index) {
  return "batchgate-" + std::string(id_suffix(batch_id)) + "-" + std::to_string(job_index);
}

std::string job_name(std::string_view batch_id, std::int64_t job_index) {
  return "batchgate-" + std::string(id_suffix(batch_id)) + "-" + std::to_string(job_index);
}

awaitable<ObjectResult<OutputReport>> read_bedrock_job_output(ObjectStore& objects, aws::S3Location folder,
                                                              std::string job_id, std::string input_file_name,
                                                              ObjectSink sink, std::string context) {
  OutputReport report;
  // The manifest first: it is small, and a failure here happens before any output line went anywhere.
  aws::S3Location manifest{folder.bucket, bedrock_manifest_key(folder.key, job_id)};
  auto text = co_await objects.read_small(manifest);
  if (!text && !no_such_key(text.error())) co_return text.error();
  if (text) {
    report.manifest = parse_manifest(*text);
    if (!report.manifest)
      spdlog::warn("batch {}: {} is not a JSON object; its counts are ignored", context,
                   aws::s3_uri(manifest));
  }
  aws::S3Location out{folder.bucket, bedrock_output_key(folder.key, job_id, input_file_name)};
  auto read = co_await objects.read(out, std::move(sink));
  if (!read) {
    // A job that Failed or was Stopped before writing anything has no .out: every request is missing.
    if (no_such_key(read.error())) co_return report;
    co_return read.error();
  }
  report.found = true;
  co_return report;
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
  co_return JobProgress{got->status, got->message, got->success_record_count, got->error_record_count, {}};
}

awaitable<RunnerResult<void>> BedrockJobRunner::stop(const storage::BatchRecord&, const storage::JobRecord& job,
                                                     const config::Model& model) {
  auto stopped = co_await clients_.bedrock(model).stop_model_invocation_job(job.job_arn);
  // A job that already ended answers ValidationException ("State was: Completed"): nothing left to stop.
  if (!stopped && stopped.error().kind != aws::BedrockErrc::kValidation)
    co_return runner_error(stopped.error());
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
