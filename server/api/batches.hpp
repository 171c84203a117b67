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

// The OpenAI batch object. `queue_position` (BatchCore::queue_position) adds batchgate's documented extra
// field of the same name while the batch waits in validating for a slot of its model's job quota.
nlohmann::json batch_json(const storage::BatchRecord& batch, std::optional<std::int64_t> queue_position = {});

}  // namespace batchgate::api
