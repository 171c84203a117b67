#include "job_store.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

constexpr std::string_view kTokenPrefix = "emu1.";

// Opaque to clients; encodes the sequence of the last job returned (spec §11.9).
std::string encode_token(std::uint64_t sequence) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string plain = "after:" + std::to_string(sequence);
  std::string out(kTokenPrefix);
  for (const unsigned char c : plain) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::optional<std::uint64_t> decode_token(std::string_view token) {
  if (!token.starts_with(kTokenPrefix)) return std::nullopt;
  token.remove_prefix(kTokenPrefix.size());
  if (token.size() % 2 != 0) return std::nullopt;
  std::string plain;
  for (std::size_t i = 0; i < token.size(); i += 2) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(token.data() + i, token.data() + i + 2, value, 16);
    if (ec != std::errc{} || ptr != token.data() + i + 2) return std::nullopt;
    plain += static_cast<char>(value);
  }
  constexpr std::string_view kAfter = "after:";
  if (!plain.starts_with(kAfter)) return std::nullopt;
  std::uint64_t sequence = 0;
  const char* begin = plain.data() + kAfter.size();
  const auto [ptr, ec] = std::from_chars(begin, plain.data() + plain.size(), sequence);
  if (ec != std::errc{} || ptr != plain.data() + plain.size()) return std::nullopt;
  return sequence;
}

bool matches(const Job& job, const ListQuery& query) {
  if (query.submit_time_after && job.submit_time <= *query.submit_time_after) return false;
  if (query.submit_time_before && job.submit_time >= *query.submit_time_before) return false;
  if (query.status_equals && job.status != *query.status_equals) return false;
  if (query.name_contains && job.request.job_name.find(*query.name_contains) == std::string::npos)
    return false;
  return true;
}

}  // namespace

JobStore::JobStore(StoreSettings settings, Clock clock, IdGenerator ids)
    : settings_(std::move(settings)), clock_(std::move(clock)), ids_(std::move(ids)) {}

std::size_t JobStore::active_count() const {
  return static_cast<std::size_t>(
      std::count_if(jobs_.begin(), jobs_.end(), [](const auto& job) { return !is_terminal(job->status); }));
}

Validated<JobStore::Created> JobStore::create(CreateRequest request, bool force_quota_exceeded) {
  if (request.client_request_token) {
    if (const auto it = by_token_.find(*request.client_request_token); it != by_token_.end()) {
      return Created{it->second, false};
    }
  }
  if (force_quota_exceeded ||
      active_count() >= static_cast<std::size_t>(std::max(0, settings_.max_concurrent_jobs))) {
    return quota_error(
        "You have reached the maximum number of in-progress and submitted batch inference jobs (" +
        std::to_string(settings_.max_concurrent_jobs) +
        ") for this account. Wait for a job to finish, then try again.");
  }
  auto job = std::make_unique<Job>();
  job->sequence = next_sequence_++;
  job->id = ids_();
  job->arn =
      "arn:aws:bedrock:" + settings_.region + ":" + settings_.account_id + ":model-invocation-job/" + job->id;
  job->timeout_hours = request.timeout_hours.value_or(settings_.default_timeout_hours);
  job->request = std::move(request);
  job->submit_time = clock_();
  job->last_modified_time = job->submit_time;
  // jobExpirationTime = submitTime + timeoutDurationInHours (spec §6), optionally time-compressed.
  const auto timeout = std::chrono::duration<double>(job->timeout_hours * settings_.seconds_per_timeout_hour);
  job->expiration_time =
      job->submit_time + std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout);
  Job* raw = job.get();
  by_id_[raw->id] = raw;
  if (raw->request.client_request_token) by_token_[*raw->request.client_request_token] = raw;
  jobs_.push_back(std::move(job));
  return Created{raw, true};
}

Job* JobStore::find(std::string_view identifier) {
  const auto id = parse_job_identifier(identifier);
  if (!id) return nullptr;
  const auto it = by_id_.find(*id);
  if (it == by_id_.end()) return nullptr;
  // An ARN must name this region and account, not only end in a known id.
  if (identifier.size() > 12 && identifier != it->second->arn) return nullptr;
  return it->second;
}

std::optional<ApiError> JobStore::request_stop(Job& job) {
  if (job.status == JobStatus::kStopping) return std::nullopt;
  if (is_terminal(job.status)) {
    return validation_error("Job cannot be stopped. State was: " + std::string(to_string(job.status)));
  }
  transition(job, JobStatus::kStopping, "Stop requested by the user.");
  return std::nullopt;
}

bool JobStore::transition(Job& job, JobStatus to, std::string message) {
  if (!is_allowed_transition(job.status, to)) return false;
  job.status = to;
  if (!message.empty()) job.message = std::move(message);
  job.last_modified_time = clock_();
  if (is_terminal(to)) job.end_time = job.last_modified_time;
  return true;
}

Validated<ListPage> JobStore::list(const ListQuery& query) const {
  std::optional<std::uint64_t> after;
  if (query.next_token) {
    after = decode_token(*query.next_token);
    if (!after) return validation_error("Invalid pagination token: " + *query.next_token);
  }
  const bool ascending = query.sort_order == SortOrder::kAscending;
  std::vector<const Job*> selected;
  for (const auto& job : jobs_) {
    if (after && (ascending ? job->sequence <= *after : job->sequence >= *after)) continue;
    if (matches(*job, query)) selected.push_back(job.get());
  }
  // jobs_ is in creation order, which is submitTime order (spec §5 sortBy CreationTime).
  if (!ascending) std::reverse(selected.begin(), selected.end());
  ListPage page;
  const std::size_t limit = static_cast<std::size_t>(query.max_results);
  if (selected.size() > limit) {
    selected.resize(limit);
    page.next_token = encode_token(selected.back()->sequence);
  }
  page.jobs = std::move(selected);
  return page;
}

json job_to_json(const Job& job) {
  const CreateRequest& r = job.request;
  json input{{"s3Uri", r.input_s3_uri}, {"s3InputFormat", "JSONL"}};
  if (r.input_bucket_owner) input["s3BucketOwner"] = *r.input_bucket_owner;
  json output{{"s3Uri", r.output_s3_uri}};
  if (r.output_kms_key_id) output["s3EncryptionKeyId"] = *r.output_kms_key_id;
  if (r.output_bucket_owner) output["s3BucketOwner"] = *r.output_bucket_owner;
  json out{{"jobArn", job.arn},
           {"jobName", r.job_name},
           {"modelId", r.model_id},
           {"roleArn", r.role_arn},
           {"status", to_string(job.status)},
           {"submitTime", format_iso8601(job.submit_time)},
           {"lastModifiedTime", format_iso8601(job.last_modified_time)},
           {"inputDataConfig", {{"s3InputDataConfig", input}}},
           {"outputDataConfig", {{"s3OutputDataConfig", output}}},
           {"timeoutDurationInHours", job.timeout_hours},
           {"jobExpirationTime", format_iso8601(job.expiration_time)},
           {"modelInvocationType", r.invocation_type}};
  if (r.client_request_token) out["clientRequestToken"] = *r.client_request_token;
  if (!job.message.empty()) out["message"] = job.message;
  if (job.end_time) out["endTime"] = format_iso8601(*job.end_time);
  if (r.vpc_config) out["vpcConfig"] = *r.vpc_config;
  if (job.counts) {
    out["totalRecordCount"] = job.counts->total;
    out["processedRecordCount"] = job.counts->processed;
    out["successRecordCount"] = job.counts->success;
    out["errorRecordCount"] = job.counts->error;
  }
  return out;
}

}  // namespace batchgate::bedrock_emulator
