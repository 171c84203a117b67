#pragma once
// What a batches.create asks for, and whether its input file can make that batch. Pure.

#include <cstdint>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "server/common/api_error.hpp"
#include "storage/records.hpp"

namespace batchgate::batch {

struct CreateBatchParams {
  std::string input_file_id;
  std::string endpoint;
  std::string completion_window = "24h";
  int timeout_hours = 24;                              // the window; a Bedrock job's timeoutDurationInHours
  std::string metadata_json;                           // "" when absent or null
  std::optional<std::int64_t> output_expires_seconds;  // output_expires_after.seconds
};

// Checks the input file against the request and the model's record limits.
std::optional<ApiError> check_batch_input(const CreateBatchParams& params, const storage::FileRecord& file,
                                          const config::Model* model);

}  // namespace batchgate::batch
