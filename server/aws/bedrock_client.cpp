#include "server/aws/bedrock_client.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "server/aws/aws_error.hpp"

// g++ 12 at -O2 reports -Wmismatched-new-delete on these coroutines once their ramps are inlined: it pairs
// Asio's awaitable-frame operator delete with a global new it imagines. Asio allocates and frees the
// frame itself, so the diagnostic is a false positive (it breaks the -Werror build, tests/run.sh).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

BedrockError parse_failure(std::string what) {
  return BedrockError{BedrockErrc::kOther, "InvalidResponse", std::move(what), 200};
}

std::optional<std::string> optional_string(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> optional_integer(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::optional<Timestamp> optional_timestamp(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (it->is_number()) {
    return Timestamp{} +
           std::chrono::duration_cast<Timestamp::duration>(std::chrono::duration<double>(it->get<double>()));
  }
  if (!it->is_string()) return std::nullopt;
  return parse_aws_timestamp(it->get_ref<const std::string&>());
}

std::vector<std::string> string_list(const json& object, const char* name) {
  std::vector<std::string> out;
  const auto it = object.find(name);
  if (it == object.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

BedrockResult<InvocationJob> job_from_json(const json& j) {
  if (!j.is_object()) return parse_failure("a job is not a JSON object");
  InvocationJob job;
  job.job_arn = optional_string(j, "jobArn").value_or("");
  job.job_name = optional_string(j, "jobName").value_or("");
  job.model_id = optional_string(j, "modelId").value_or("");
  job.role_arn = optional_string(j, "roleArn").value_or("");
  job.status = optional_string(j, "status").value_or("");
  job.client_request_token = optional_string(j, "clientRequestToken");
  job.message = optional_string(j, "message");
  const auto submit = optional_timestamp(j, "submitTime");
  if (job.job_arn.empty() || !submit) return parse_failure("a job lacks jobArn or a valid submitTime");
  job.submit_time = *submit;
  job.last_modified_time = optional_timestamp(j, "lastModifiedTime");
  job.end_time = optional_timestamp(j, "endTime");
  job.job_expiration_time = optional_timestamp(j, "jobExpirationTime");
  // Unions (spec §3): today the s3 member is the only one.
  if (const auto in = j.find("inputDataConfig"); in != j.end() && in->contains("s3InputDataConfig")) {
    const json& s3 = (*in)["s3InputDataConfig"];
    job.input = {optional_string(s3, "s3Uri").value_or(""),
                 optional_string(s3, "s3InputFormat").value_or("JSONL"),
                 optional_string(s3, "s3BucketOwner")};
  }
  if (const auto out = j.find("outputDataConfig"); out != j.end() && out->contains("s3OutputDataConfig")) {
    const json& s3 = (*out)["s3OutputDataConfig"];
    job.output = {optional_string(s3, "s3Uri").value_or(""), optional_string(s3, "s3EncryptionKeyId"),
                  optional_string(s3, "s3BucketOwner")};
  }
  if (const auto vpc = j.find("vpcConfig"); vpc != j.end() && vpc->is_object()) {
    job.vpc_config = VpcConfig{string_list(*vpc, "subnetIds"), string_list(*vpc, "securityGroupIds")};
  }
  if (auto hours = optional_integer(j, "timeoutDurationInHours"))
    job.timeout_duration_in_hours = static_cast<int>(*hours);
  job.model_invocation_type = optional_string(j, "modelInvocationType");
  job.total_record_count = optional_integer(j, "totalRecordCount");
  job.processed_record_count = optional_integer(j, "processedRecordCount");
  job.success_record_count = optional_integer(j, "successRecordCount");
  job.error_record_count = optional_integer(j, "errorRecordCount");
  return job;
}

json parse_object(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  return j.is_discarded() || !j.is_object() ? json() : j;
}

bool read_digits(std::string_view text, std::size_t& pos, int count, int& out) {
  if (pos + count > text.size()) return false;
  const auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + count, out);
  if (ec != std::errc{} || ptr != text.data() + pos + count) return false;
  pos += count;
  return true;
}

bool skip(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string_view to_string(BedrockErrc kind) {
  switch (kind) {
    case BedrockErrc::kValidation:
      return "validation";
    case BedrockErrc::kAccessDenied:
      return "access_denied";
    case BedrockErrc::kNotFound:
      return "not_found";
    case BedrockErrc::kConflict:
      return "conflict";
    case BedrockErrc::kQuotaExceeded:
      return "quota_exceeded";
    case BedrockErrc::kThrottling:
      return "throttling";
    case BedrockErrc::kInternal:
      return "internal";
    case BedrockErrc::kOther:
      return "other";
  }
  return "other";
}

std::string BedrockError::to_string() const {
  std::string out = "Bedrock ";
  out += aws::to_string(kind);
  if (!code.empty()) out += " (" + code + ")";
  if (http_status != 0) out += " HTTP " + std::to_string(http_status);
  if (!message.empty()) out += ": " + message;
  return out;
}

void throw_exception_from_error(const BedrockError& error, const boost::source_location&) {
  throw std::runtime_error(error.to_string());
}

std::string InvocationJob::job_id() const {
  const auto slash = job_arn.rfind('/');
  return slash == std::string::npos ? job_arn : job_arn.substr(slash + 1);
}

BedrockErrc classify_bedrock_error(std::string_view code, int http_status) {
  if (code == "ValidationException" || code == "SerializationException") return BedrockErrc::kValidation;
  if (code == "AccessDeniedException" || code == "UnrecognizedClientException" ||
      code == "InvalidSignatureException" || code == "MissingAuthenticationTokenException" ||
      code == "IncompleteSignatureException" || code == "ExpiredTokenException" ||
      code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch") {
    return BedrockErrc::kAccessDenied;
  }
  if (code == "ResourceNotFoundException") return BedrockErrc::kNotFound;
  if (code == "ConflictException") return BedrockErrc::kConflict;
  if (code == "ServiceQuotaExceededException") return BedrockErrc::kQuotaExceeded;
  // ModelNotReadyException (429) and ModelTimeoutException (408) are the runtime's "try again" answers.
  if (code == "ThrottlingException" || code == "TooManyRequestsException" || code == "Throttling" ||
      code == "ModelNotReadyException") {
    return BedrockErrc::kThrottling;
  }
  if (code == "InternalServerException" || code == "ServiceUnavailableException" ||
      code == "ModelTimeoutException")
    return BedrockErrc::kInternal;
  if (!code.empty()) return BedrockErrc::kOther;
  if (http_status == 404) return BedrockErrc::kNotFound;
  if (http_status == 403) return BedrockErrc::kAccessDenied;
  if (http_status == 429) return BedrockErrc::kThrottling;
  if (http_status >= 500) return BedrockErrc::kInternal;
  return BedrockErrc::kOther;
}

BedrockError bedrock_error_from_response(const HttpResponse& response) {
  const AwsError parsed = parse_aws_error(response);
  return BedrockError{classify_bedrock_error(parsed.code, response.status), parsed.code, parsed.message,
                      response.status};
}

std::optional<Timestamp> parse_aws_timestamp(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos) {
    double seconds = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return Timestamp{} +
           std::chrono::duration_cast<Timestamp::duration>(std::chrono::duration<double>(seconds));
  }
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!read_digits(text, pos, 4, year) || !skip(text, pos, '-') || !read_digits(text, pos, 2, month) ||
      !skip(text, pos, '-') || !read_digits(text, pos, 2, day) ||
      !(skip(text, pos, 'T') || skip(text, pos, 't')) || !read_digits(text, pos, 2, hour) ||
      !skip(text, pos, ':') || !read_digits(text, pos, 2, minute) || !skip(text, pos, ':') ||
      !read_digits(text, pos, 2, second)) {
    return std::nullopt;
  }
  std::chrono::nanoseconds fraction{0};
  if (skip(text, pos, '.')) {
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, scale /= 10) {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
    }
    if (pos == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (skip(text, pos, 'Z') || skip(text, pos, 'z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int oh, om;
    if (!read_digits(text, pos, 2, oh) || !skip(text, pos, ':') || !read_digits(text, pos, 2, om))
      return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  const auto ymd = std::chrono::year{year} / month / day;
  if (pos != text.size() || !ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return Timestamp{std::chrono::sys_days{ymd}.time_since_epoch()} + std::chrono::hours{hour} +
         std::chrono::minutes{minute - offset_minutes} + std::chrono::seconds{second} +
         std::chrono::duration_cast<Timestamp::duration>(fraction);
}

std::string format_aws_timestamp(Timestamp time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string job_path(std::string_view job_identifier, std::string_view suffix) {
  return "/model-invocation-job/" + uri_encode(job_identifier, false) + std::string(suffix);
}

std::string create_job_body(const CreateJobRequest& r) {
  json input{{"s3Uri", r.input.s3_uri}, {"s3InputFormat", r.input.s3_input_format}};
  if (r.input.s3_bucket_owner) input["s3BucketOwner"] = *r.input.s3_bucket_owner;
  json output{{"s3Uri", r.output.s3_uri}};
  if (r.output.s3_encryption_key_id) output["s3EncryptionKeyId"] = *r.output.s3_encryption_key_id;
  if (r.output.s3_bucket_owner) output["s3BucketOwner"] = *r.output.s3_bucket_owner;
  nlohmann::ordered_json body;
  body["jobName"] = r.job_name;
  body["roleArn"] = r.role_arn;
  if (r.client_request_token) body["clientRequestToken"] = *r.client_request_token;
  body["modelId"] = r.model_id;
  body["inputDataConfig"] = {{"s3InputDataConfig", input}};
  body["outputDataConfig"] = {{"s3OutputDataConfig", output}};
  if (r.vpc_config) {
    body["vpcConfig"] = {{"subnetIds", r.vpc_config->subnet_ids},
                         {"securityGroupIds", r.vpc_config->security_group_ids}};
  }
  if (r.timeout_duration_in_hours) body["timeoutDurationInHours"] = *r.timeout_duration_in_hours;
  if (!r.tags.empty()) {
    body["tags"] = nlohmann::ordered_json::array();
    for (const auto& tag : r.tags) body["tags"].push_back({{"key", tag.key}, {"value", tag.value}});
  }
  if (r.model_invocation_type) body["modelInvocationType"] = *r.model_invocation_type;
  return body.dump();
}

std::string list_jobs_query(const ListJobsRequest& r) {
  std::vector<std::pair<std::string, std::string>> params;
  if (r.max_results) params.emplace_back("maxResults", std::to_string(*r.max_results));
  if (r.next_token) params.emplace_back("nextToken", *r.next_token);
  if (r.status_equals) params.emplace_back("statusEquals", *r.status_equals);
  if (r.name_contains) params.emplace_back("nameContains", *r.name_contains);
  if (r.sort_by) params.emplace_back("sortBy", *r.sort_by);
  if (r.sort_order) params.emplace_back("sortOrder", *r.sort_order);
  if (r.submit_time_after) params.emplace_back("submitTimeAfter", format_aws_timestamp(*r.submit_time_after));
  if (r.submit_time_before)
    params.emplace_back("submitTimeBefore", format_aws_timestamp(*r.submit_time_before));
  std::string query;
  for (const auto& [name, value] : params) {
    if (!query.empty()) query += '&';
    query += uri_encode(name, false) + "=" + uri_encode(value, false);
  }
  return query;
}

BedrockResult<std::string> parse_create_job_response(std::string_view body) {
  const json j = parse_object(body);
  auto arn = j.is_object() ? optional_string(j, "jobArn") : std::nullopt;
  if (!arn) return parse_failure("CreateModelInvocationJob response has no jobArn");
  return *arn;
}

BedrockResult<InvocationJob> parse_get_job_response(std::string_view body) {
  const json j = parse_object(body);
  if (!j.is_object()) return parse_failure("GetModelInvocationJob response is not a JSON object");
  return job_from_json(j);
}

BedrockResult<ListJobsPage> parse_list_jobs_response(std::string_view body) {
  const json j = parse_object(body);
  if (!j.is_object()) return parse_failure("ListModelInvocationJobs response is not a JSON object");
  ListJobsPage page;
  if (const auto it = j.find("invocationJobSummaries"); it != j.end() && it->is_array()) {
    for (const auto& summary : *it) {
      auto job = job_from_json(summary);
      if (!job) return job.error();
      page.jobs.push_back(std::move(*job));
    }
  }
  page.next_token = optional_string(j, "nextToken");
  return page;
}

BedrockClient::BedrockClient(HttpClient& http, BedrockConfig config)
    : http_(http), config_(std::move(config)) {}

asio::awaitable<BedrockResult<HttpResponse>> BedrockClient::call(HttpRequest request) {
  const std::string url =
      config_.endpoint_url.value_or("https://bedrock." + config_.region + ".amazonaws.com");
  const auto endpoint = parse_url(url);
  if (!endpoint)
    co_return BedrockError{BedrockErrc::kOther, "", "invalid Bedrock endpoint URL '" + url + "'", 0};
  request.path = endpoint->base_path + request.path;
  AwsSigning signing{config_.region, "bedrock", config_.credentials, config_.clock};
  auto response =
      co_await send_signed(http_, *endpoint, std::move(request), std::move(signing), config_.retry);
  if (!response) co_return BedrockError{BedrockErrc::kOther, "", response.error().message(), 0};
  if (response->status < 200 || response->status >= 300) co_return bedrock_error_from_response(*response);
  co_return std::move(*response);
}

asio::awaitable<BedrockResult<std::string>> BedrockClient::create_model_invocation_job(
    CreateJobRequest request) {
  HttpRequest http_request;
  http_request.method = "POST";
  http_request.path = "/model-invocation-job";
  http_request.headers.push_back({"Content-Type", "application/json"});
  http_request.body = create_job_body(request);
  auto response = co_await call(std::move(http_request));
  if (!response) co_return response.error();
  co_return parse_create_job_response(response->body);
}

asio::awaitable<BedrockResult<InvocationJob>> BedrockClient::get_model_invocation_job(
    std::string job_identifier) {
  HttpRequest http_request;
  http_request.method = "GET";
  http_request.path = job_path(job_identifier);
  auto response = co_await call(std::move(http_request));
  if (!response) co_return response.error();
  co_return parse_get_job_response(response->body);
}

asio::awaitable<BedrockResult<ListJobsPage>> BedrockClient::list_model_invocation_jobs(
    ListJobsRequest request) {
  HttpRequest http_request;
  http_request.method = "GET";
  http_request.path = "/model-invocation-jobs";
  http_request.query = list_jobs_query(request);
  auto response = co_await call(std::move(http_request));
  if (!response) co_return response.error();
  co_return parse_list_jobs_response(response->body);
}

asio::awaitable<BedrockResult<void>> BedrockClient::stop_model_invocation_job(std::string job_identifier) {
  HttpRequest http_request;
  http_request.method = "POST";  // no body and no Content-Type, as botocore sends it (spec §6)
  http_request.path = job_path(job_identifier, "/stop");
  auto response = co_await call(std::move(http_request));
  if (!response) co_return response.error();
  co_return BedrockResult<void>{};
}

}  // namespace batchgate::aws
