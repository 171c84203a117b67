#pragma once
// /v1/batches request parsing and the OpenAI Batch object (spec/openai-batch.md §3). Pure.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>

#include "config/settings.hpp"
#include "server/common/api_error.hpp"
#include "storage/records.hpp"

namespace batchgate::api {

struct CreateBatchParams {
  std::string input_file_id;
  std::string endpoint;
  std::string completion_window = "24h";
  int timeout_hours = 24;       // Bedrock timeoutDurationInHours (24–168)
  std::string metadata_json;    // "" when absent or null
  std::optional<std::int64_t> output_expires_seconds;  // output_expires_after.seconds
};

std::variant<CreateBatchParams, ApiError> parse_create_batch(const nlohmann::json& body);

// Checks the input file against the request and the model's record limits.
std::optional<ApiError> check_batch_input(const CreateBatchParams& params, const storage::FileRecord& file,
                                          const config::Model* model);

// Bedrock names derived from the batch id: a retried or resumed create sends the same clientRequestToken, so
// Bedrock never starts a second job. Both avoid '_' (spec/bedrock-batch.md §2).
std::string client_request_token(const std::string& batch_id, std::int64_t job_index);
std::string job_name(const std::string& batch_id, std::int64_t job_index);

nlohmann::json batch_json(const storage::BatchRecord& batch);

}  // namespace batchgate::api
