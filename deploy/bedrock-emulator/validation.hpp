#pragma once

// Synchronous parameter validation of the four operations (spec/bedrock-batch.md §2, §3, §5): every shape
// constraint of the service model, reported as ValidationException in AWS's wording.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api_error.hpp"
#include "job_status.hpp"
#include "timestamps.hpp"

namespace batchgate::bedrock_emulator {

struct Tag {
  std::string key;
  std::string value;
};

struct CreateRequest {
  std::string job_name;
  std::string role_arn;
  std::optional<std::string> client_request_token;
  std::string model_id;
  std::string input_s3_uri;
  std::optional<std::string> input_bucket_owner;
  std::string output_s3_uri;
  std::optional<std::string> output_kms_key_id;
  std::optional<std::string> output_bucket_owner;
  std::optional<nlohmann::json> vpc_config;  // validated, echoed as received
  std::optional<int> timeout_hours;
  std::vector<Tag> tags;
  std::string invocation_type = "InvokeModel";
};

enum class SortOrder { kAscending, kDescending };

struct ListQuery {
  std::optional<TimePoint> submit_time_after;
  std::optional<TimePoint> submit_time_before;
  std::optional<JobStatus> status_equals;
  std::optional<std::string> name_contains;
  int max_results = 100;  // emulator default (spec §5: AWS's default is unconfirmed)
  std::optional<std::string> next_token;
  SortOrder sort_order = SortOrder::kDescending;
};

template <typename T>
using Validated = std::variant<T, ApiError>;

// Parses and validates a CreateModelInvocationJob body.
Validated<CreateRequest> validate_create_request(std::string_view body);

// Validates ListModelInvocationJobs query parameters (decoded name/value pairs).
Validated<ListQuery> validate_list_query(const std::vector<std::pair<std::string, std::string>>& params);

// Splits a decoded {jobIdentifier} into the 12-char job id; nullopt when it matches neither the ARN nor
// the bare-id form of ModelInvocationJobIdentifier.
std::optional<std::string> parse_job_identifier(std::string_view identifier);

bool is_valid_job_name(std::string_view name);
bool is_valid_client_token(std::string_view token);
bool is_valid_s3_uri(std::string_view uri);
bool is_valid_model_id(std::string_view model_id);

}  // namespace batchgate::bedrock_emulator
