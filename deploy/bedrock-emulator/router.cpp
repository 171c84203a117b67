#include "router.hpp"

#include <algorithm>
#include <cstdio>

#include "fake_models.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

constexpr std::string_view kJobPrefix = "/model-invocation-job/";
// bedrock-runtime's InvokeModel, POST /model/{modelId}/invoke (botocore bedrock-runtime service model).
constexpr std::string_view kRuntimePrefix = "/model/";
constexpr std::string_view kInvokeSuffix = "/invoke";

ApiError auth_error(std::string type, std::string message, int status = 403) {
  return {status, std::move(type), std::move(message)};
}

}  // namespace

Router::Router(JobStore& store, Knobs& knobs, AuthSettings auth, Random random, JobStarted on_created)
    : store_(store),
      knobs_(knobs),
      auth_(std::move(auth)),
      random_(std::move(random)),
      on_created_(std::move(on_created)),
      invoke_(knobs.invoke, random_) {}

EmulatorResponse Router::handle(const EmulatorRequest& request) {
  const std::string_view target = request.target;
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
  if (path.starts_with("/_emulator/")) return admin(request, path);
  // The runtime endpoint signs with the same name, `bedrock` (bedrock-runtime service model signingName).
  const bool runtime = path.starts_with(kRuntimePrefix);
  if (auth_.verify) {
    if (auto error = verify_signature(request))
      return runtime ? stamped(runtime_error_response(*error)) : error_response(*error);
  }
  // InvokeModel has its own fault knobs (invoke*); throttleRate and serverErrorRate are the batch API's.
  if (runtime) return route_runtime(request, path);
  // Faults are injected after authentication, as AWS throttles authenticated callers (spec §11.10).
  if (knobs_.throttle_rate > 0.0 && random_() < knobs_.throttle_rate)
    return error_response(throttling_error());
  if (knobs_.server_error_rate > 0.0 && random_() < knobs_.server_error_rate)
    return error_response(internal_error());
  return route(request, path, query);
}

std::optional<ApiError> Router::verify_signature(const EmulatorRequest& request) const {
  const auto header = aws::find_header(request.headers, "authorization");
  if (!header) return auth_error("MissingAuthenticationTokenException", "Missing Authentication Token");
  const auto parsed = aws::parse_authorization(*header);
  if (!parsed) {
    return auth_error(
        "IncompleteSignatureException",
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.", 400);
  }
  const auto secret = auth_.secrets.find(parsed->access_key_id);
  if (secret == auth_.secrets.end() && auth_.accept_session_credentials &&
      aws::find_header(request.headers, "x-amz-security-token")) {
    return std::nullopt;
  }
  if (secret == auth_.secrets.end()) {
    return auth_error("UnrecognizedClientException",
                      "The security token included in the request is invalid.");
  }
  if (parsed->service != "bedrock" || parsed->region != auth_.region) {
    return auth_error("InvalidSignatureException", "Credential should be scoped to a valid region ('" +
                                                       auth_.region + "') and service ('bedrock').");
  }
  const auto amz_date = aws::find_header(request.headers, "x-amz-date");
  if (!amz_date) return auth_error("IncompleteSignatureException", "Missing X-Amz-Date header.", 400);
  const auto time = parse_amz_date(*amz_date);
  if (!time || !amz_date->starts_with(parsed->date)) {
    return auth_error("IncompleteSignatureException", "Malformed X-Amz-Date: " + std::string(*amz_date), 400);
  }
  const auto skew = store_.now() - *time;
  if (skew > auth_.max_skew || -skew > auth_.max_skew) {
    return auth_error("InvalidSignatureException",
                      "Signature expired: " + std::string(*amz_date) +
                          " is now earlier or later than the allowed 15 minutes.");
  }
  const aws::SigningRequest signing =
      aws::received_signing_request(request.method, request.target, request.headers, request.body);
  const std::string expected = aws::signature_for_received(signing, *parsed, *amz_date, secret->second);
  if (!aws::signatures_equal(expected, parsed->signature)) {
    return auth_error(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your "
        "AWS Secret Access Key and signing method. Consult the service documentation for details.");
  }
  return std::nullopt;
}

EmulatorResponse Router::route(const EmulatorRequest& request, std::string_view path,
                               std::string_view query) {
  if (path == "/model-invocation-job" && request.method == "POST") return create_job(request);
  if (path == "/model-invocation-jobs" && request.method == "GET") return list_jobs(query);
  if (path.starts_with(kJobPrefix)) {
    std::string_view rest = path.substr(kJobPrefix.size());
    // The identifier is one percent-encoded label: an ARN arrives as arn%3Aaws...%2Fid (spec §1).
    const auto slash = rest.find('/');
    const std::string_view label = rest.substr(0, slash);
    const std::string_view tail = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (tail.empty() && request.method == "GET") return get_job(label);
    if (tail == "/stop" && request.method == "POST") return stop_job(label);
  }
  return error_response(
      {404, "UnknownOperationException", "No operation matches " + request.method + " " + std::string(path)});
}

EmulatorResponse Router::route_runtime(const EmulatorRequest& request, std::string_view path) {
  const std::string_view rest = path.substr(kRuntimePrefix.size());
  if (request.method == "POST" && rest.ends_with(kInvokeSuffix)) {
    // {modelId} is one percent-encoded label: `:` arrives as %3A, an ARN's `/` as %2F.
    const std::string_view label = rest.substr(0, rest.size() - kInvokeSuffix.size());
    if (label.find('/') == std::string_view::npos)
      return stamped(invoke_.invoke(label, request.headers, request.body));
  }
  return stamped(
      runtime_error_response({404, "UnknownOperationException",
                              "No operation matches " + request.method + " " + std::string(path)}));
}

EmulatorResponse Router::create_job(const EmulatorRequest& request) {
  ++create_calls_;
  auto validated = validate_create_request(request.body);
  if (auto* error = std::get_if<ApiError>(&validated)) return error_response(*error);
  auto& create = std::get<CreateRequest>(validated);
  const auto family = family_for_model(create.model_id);
  if (!family) {
    return error_response(
        validation_error("The provided model identifier is invalid or does not support batch "
                         "inference: " +
                         create.model_id));
  }
  if (*family == ModelFamily::kTitanEmbeddingsV2 && create.invocation_type == "Converse") {
    return error_response(validation_error("Embedding models support only the InvokeModel invocation type."));
  }
  // quotaExceededFirstN refuses the next new jobs; a repeated token still gets its job (spec §3).
  const bool refuse = knobs_.force_quota_exceeded || knobs_.quota_exceeded_first_n > 0;
  auto created = store_.create(std::move(create), refuse);
  if (auto* error = std::get_if<ApiError>(&created)) {
    if (knobs_.quota_exceeded_first_n > 0 && error->type == "ServiceQuotaExceededException")
      --knobs_.quota_exceeded_first_n;
    return error_response(*error);
  }
  const auto& outcome = std::get<JobStore::Created>(created);
  peak_active_jobs_ = std::max(peak_active_jobs_, store_.active_count());
  if (outcome.is_new && on_created_) on_created_(*outcome.job);
  return json_response(200, json{{"jobArn", outcome.job->arn}});
}

EmulatorResponse Router::get_job(std::string_view label) {
  const std::string identifier = aws::uri_decode(label);
  if (!parse_job_identifier(identifier)) {
    return error_response(validation_error(
        "1 validation error detected: Value '" + identifier +
        "' at 'jobIdentifier' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: "
        "((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})"));
  }
  const Job* job = store_.find(identifier);
  if (job == nullptr)
    return error_response(not_found_error("The specified job " + identifier + " was not found."));
  return json_response(200, job_to_json(*job));
}

EmulatorResponse Router::stop_job(std::string_view label) {
  ++stop_calls_;
  const std::string identifier = aws::uri_decode(label);
  if (!parse_job_identifier(identifier)) {
    return error_response(
        validation_error("1 validation error detected: Value '" + identifier +
                         "' at 'jobIdentifier' failed to satisfy constraint: Member must satisfy "
                         "regular expression pattern"));
  }
  Job* job = store_.find(identifier);
  if (job == nullptr)
    return error_response(not_found_error("The specified job " + identifier + " was not found."));
  if (auto error = store_.request_stop(*job)) return error_response(*error);
  if (knobs_.stop_conflict) {
    return error_response(conflict_error("The job " + job->id +
                                         " is being modified by another request; its state may already have "
                                         "changed. Get the job to see its status."));
  }
  return json_response(200, json::object());
}

EmulatorResponse Router::list_jobs(std::string_view query) {
  auto validated = validate_list_query(aws::parse_query_string(query));
  if (auto* error = std::get_if<ApiError>(&validated)) return error_response(*error);
  auto page = store_.list(std::get<ListQuery>(validated));
  if (auto* error = std::get_if<ApiError>(&page)) return error_response(*error);
  const auto& result = std::get<ListPage>(page);
  json summaries = json::array();
  for (const Job* job : result.jobs) summaries.push_back(job_to_json(*job));
  json body{{"invocationJobSummaries", std::move(summaries)}};
  if (result.next_token) body["nextToken"] = *result.next_token;
  return json_response(200, body);
}

json Router::stats_json() const {
  json by_status = json::object();
  for (const auto* status : {"Submitted", "Validating", "Scheduled", "InProgress", "Completed",
                             "PartiallyCompleted", "Failed", "Stopping", "Stopped", "Expired"}) {
    ListQuery query;
    query.status_equals = parse_job_status(status);
    query.max_results = 1000000;
    const auto page = store_.list(query);
    by_status[status] = std::get<ListPage>(page).jobs.size();
  }
  return json{{"jobsCreated", store_.created_count()},
              {"activeJobs", store_.active_count()},
              {"peakActiveJobs", peak_active_jobs_},
              {"createCalls", create_calls_},
              {"stopCalls", stop_calls_},
              {"jobsByStatus", by_status},
              {"invocations", invoke_.invocations()},
              {"invocationsByModel", invoke_.invocations_by_model()}};
}

EmulatorResponse Router::admin(const EmulatorRequest& request, std::string_view path) {
  if (path == "/_emulator/stats" && request.method == "GET") return json_response(200, stats_json());
  // Per-body counts, keyed by the SHA-256 of the body bytes, so a test proves each body ran exactly once.
  if (path == "/_emulator/invocations" && request.method == "GET") {
    return json_response(200, json{{"counts", invoke_.invocations_by_body()}});
  }
  if (path == "/_emulator/reset-invocations" && request.method == "POST") {
    invoke_.reset();
    return json_response(200, json::object());
  }
  if (path == "/_emulator/config" && request.method == "GET") {
    return json_response(200, knobs_to_json(knobs_, store_.settings()));
  }
  if (path == "/_emulator/config" && request.method == "POST") {
    const json update = json::parse(request.body, nullptr, false);
    if (auto error = apply_knobs(update.is_discarded() ? json() : update, knobs_, store_)) {
      return error_response(validation_error(*error));
    }
    return json_response(200, knobs_to_json(knobs_, store_.settings()));
  }
  return error_response({404, "UnknownOperationException", "No admin endpoint " + std::string(path)});
}

EmulatorResponse Router::json_response(int status, const json& body) {
  EmulatorResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "application/json"});
  response.body = body.dump();
  return stamped(std::move(response));
}

EmulatorResponse Router::stamped(EmulatorResponse response) {
  char request_id[40];
  const std::uint64_t n = ++request_counter_;
  const std::uint64_t h = fnv1a64(std::to_string(n) + "request");
  std::snprintf(request_id, sizeof request_id, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>(h >> 32), static_cast<unsigned long long>((h >> 16) & 0xFFFF),
                static_cast<unsigned long long>(h & 0xFFF),
                static_cast<unsigned long long>((h >> 20) & 0xFFF), static_cast<unsigned long long>(n));
  response.headers.push_back({"x-amzn-RequestId", request_id});
  return response;
}

EmulatorResponse Router::error_response(const ApiError& error) {
  // Both the header and __type, so every restJson1 parser finds the code (spec §7).
  EmulatorResponse response =
      json_response(error.status, json{{"__type", error.type}, {"message", error.message}});
  response.headers.push_back({"x-amzn-ErrorType", error.type});
  return response;
}

}  // namespace batchgate::bedrock_emulator
