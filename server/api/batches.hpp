#pragma once
// /v1/batches request parsing and the OpenAI Batch object (spec/openai-batch.md §3). Pure.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "config/settings.hpp"
#include "server/batch/batch_params.hpp"
#include "server/common/api_error.hpp"
#include "storage/records.hpp"

namespace batchgate::api {

using batch::CreateBatchParams;

std::variant<CreateBatchParams, ApiError> parse_create_batch(const nlohmann::json& body);

nlohmann::json batch_json(const storage::BatchRecord& batch);

}  // namespace batchgate::api
