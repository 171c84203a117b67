#pragma once

// Amazon Bedrock batch control-plane client (spec/bedrock-batch.md §3–§7): Create/Get/List/Stop
// ModelInvocationJob over restJson1, SigV4-signed for service "bedrock" and retried by send_signed.
// Failures are values: BedrockResult<T> holds T or a BedrockError whose kind is one small enum.
// The functions below the class are pure (no I/O) and unit-tested without a server.

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/aws/http_client.hpp"

namespace batchgate::aws {

enum class BedrockErrc {
  kValidation,     // ValidationException (400): fix the request
  kAccessDenied,   // AccessDeniedException and auth failures (UnrecognizedClient, InvalidSignature, ...)
  kNotFound,       // ResourceNotFoundException (404)
  kConflict,       // ConflictException (400)
  kQuotaExceeded,  // ServiceQuotaExceededException (400): retry later, e.g. when a job has finished
  kThrottling,     // ThrottlingException (429), after the retries of the policy
  kInternal,       // InternalServerException / 5xx, after the retries of the policy
  kOther,          // anything else, including transport failures (http_status 0)
};

std::string_view to_string(BedrockErrc kind);

struct BedrockError {
  BedrockErrc kind = BedrockErrc::kOther;
  std::string code;     // AWS error code after botocore's trimming; "" for transport failures
  std::string message;  // the service's message, or the transport error text
  int http_status = 0;  // 0 when no response arrived

  std::string to_string() const;
};

// Required by boost::system::result<T, BedrockError>::value(); throws std::runtime_error.
[[noreturn]] void throw_exception_from_error(const BedrockError& error,
                                             const boost::source_location& location);

template <typename T>
using BedrockResult = boost::system::result<T, BedrockError>;

using Timestamp = std::chrono::system_clock::time_point;

struct BedrockConfig {
  // Endpoint override (config `aws_bedrock_endpoint`); default https://bedrock.{region}.amazonaws.com.
  std::optional<std::string> endpoint_url;
  std::string region = "us-east-1";
  CredentialsProvider credentials;
  RetryPolicy retry;
  Clock clock;  // empty → system clock
};

struct S3InputDataConfig {
  std::string s3_uri;
  std::string s3_input_format = "JSONL";
  std::optional<std::string> s3_bucket_owner;
};

struct S3OutputDataConfig {
  std::string s3_uri;
  std::optional<std::string> s3_encryption_key_id;  // KMS key for SSE-KMS output objects
  std::optional<std::string> s3_bucket_owner;
};

struct VpcConfig {
  std::vector<std::string> subnet_ids;
  std::vector<std::string> security_group_ids;
};

struct JobTag {
  std::string key;
  std::string value;
};

struct CreateJobRequest {
  std::string job_name;  // [a-zA-Z0-9]..., no '_' (spec §2)
  std::string role_arn;
  std::optional<std::string> client_request_token;  // alnum and '-' only; idempotency key
  std::string model_id;
  S3InputDataConfig input;
  S3OutputDataConfig output;
  std::optional<VpcConfig> vpc_config;
  std::optional<int> timeout_duration_in_hours;  // 24..168
  std::vector<JobTag> tags;
  std::optional<std::string> model_invocation_type;  // "InvokeModel" | "Converse"
};

// GetModelInvocationJob response; list summaries have the same fields (spec §4, §5).
struct InvocationJob {
  std::string job_arn;
  std::string job_name;
  std::string model_id;
  std::string role_arn;
  std::string status;  // Bedrock's vocabulary ("InProgress", ...); batch/bedrock_job_status.hpp maps it
  std::optional<std::string> client_request_token;
  std::optional<std::string> message;
  Timestamp submit_time{};
  std::optional<Timestamp> last_modified_time;
  std::optional<Timestamp> end_time;
  std::optional<Timestamp> job_expiration_time;
  S3InputDataConfig input;
  S3OutputDataConfig output;
  std::optional<VpcConfig> vpc_config;
  std::optional<int> timeout_duration_in_hours;
  std::optional<std::string> model_invocation_type;
  std::optional<std::int64_t> total_record_count;
  std::optional<std::int64_t> processed_record_count;
  std::optional<std::int64_t> success_record_count;
  std::optional<std::int64_t> error_record_count;

  // The 12-character id: the last segment of the ARN; outputs live under {outputS3Uri}/{jobId}/ (spec §8.2).
  std::string job_id() const;
};

struct ListJobsRequest {
  std::optional<Timestamp> submit_time_after;
  std::optional<Timestamp> submit_time_before;
  std::optional<std::string> status_equals;
  std::optional<std::string> name_contains;
  std::optional<int> max_results;  // 1..1000
  std::optional<std::string> next_token;
  std::optional<std::string> sort_by;     // "CreationTime"
  std::optional<std::string> sort_order;  // "Ascending" | "Descending"
};

struct ListJobsPage {
  std::vector<InvocationJob> jobs;
  std::optional<std::string> next_token;  // absent on the last page
};

class BedrockClient {
 public:
  BedrockClient(HttpClient& http, BedrockConfig config);

  const BedrockConfig& config() const { return config_; }

  // → the job ARN. A repeated clientRequestToken returns the original job's ARN (spec §3).
  boost::asio::awaitable<BedrockResult<std::string>> create_model_invocation_job(CreateJobRequest request);
  // `job_identifier`: job ARN or bare id.
  boost::asio::awaitable<BedrockResult<InvocationJob>> get_model_invocation_job(std::string job_identifier);
  boost::asio::awaitable<BedrockResult<ListJobsPage>> list_model_invocation_jobs(ListJobsRequest request);
  // A terminal job answers ValidationException "... State was: <Status>" (spec §6).
  boost::asio::awaitable<BedrockResult<void>> stop_model_invocation_job(std::string job_identifier);

 private:
  boost::asio::awaitable<BedrockResult<HttpResponse>> call(HttpRequest request);

  HttpClient& http_;
  BedrockConfig config_;
};

// Pure helpers ---------------------------------------------------------------------------------------------

// "/model-invocation-job/{label}{suffix}" with the identifier percent-encoded as one label (':' and '/'
// included, spec §1).
std::string job_path(std::string_view job_identifier, std::string_view suffix = {});
// The CreateModelInvocationJob JSON body, members in the service model's order (spec §3).
std::string create_job_body(const CreateJobRequest& request);
// The ListModelInvocationJobs query string (values UriEncoded, spec §5).
std::string list_jobs_query(const ListJobsRequest& request);
BedrockResult<InvocationJob> parse_get_job_response(std::string_view body);
BedrockResult<ListJobsPage> parse_list_jobs_response(std::string_view body);
BedrockResult<std::string> parse_create_job_response(std::string_view body);
// Error code from x-amzn-ErrorType, else body code/__type (botocore rules, spec §7), mapped to a kind.
BedrockError bedrock_error_from_response(const HttpResponse& response);
BedrockErrc classify_bedrock_error(std::string_view code, int http_status);
// ISO-8601 ("2024-01-15T12:00:00Z", fractional seconds, "+00:00" offsets) or epoch seconds as text.
std::optional<Timestamp> parse_aws_timestamp(std::string_view text);
// "2024-01-15T12:00:00Z" (UTC, whole seconds) for query parameters.
std::string format_aws_timestamp(Timestamp time);

}  // namespace batchgate::aws
