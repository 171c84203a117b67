#include "server/batch/batch_params.hpp"

namespace batchgate::batch {

std::optional<ApiError> check_batch_input(const CreateBatchParams& params, const storage::FileRecord& file,
                                          const config::Model* model) {
  if (file.purpose != "batch")
    return ApiError::invalid(
        "File " + file.id + " has purpose '" + file.purpose + "'; a batch needs a purpose=batch file.",
        "input_file_id");
  if (file.endpoint != params.endpoint)
    return ApiError::invalid("File " + file.id + " holds " + file.endpoint +
                                 " requests; create the batch with endpoint \"" + file.endpoint + "\".",
                             "endpoint");
  if (!model || !model->is_batch())
    return ApiError::invalid("File " + file.id + " was made for model '" + file.model +
                                 "', which is no longer configured for batches.",
                             "input_file_id");
  // Fewer records than a Bedrock batch job takes run on demand, unless the model says otherwise.
  if (file.record_count < model->min_batch_records && !model->on_demand_fallback)
    return ApiError::invalid(
        "File " + file.id + " has " + std::to_string(file.record_count) + " Bedrock records; model '" +
            model->model_name + "' needs at least " + std::to_string(model->min_batch_records) +
            " per batch job (Bedrock's minimum) and does not run smaller batches on demand "
            "(on_demand_fallback: false). Add requests to the file, or lower "
            "min_batch_records in the model's config if your Bedrock quota allows.",
        "input_file_id", "too_few_requests");
  if (file.record_count > model->max_batch_records)
    return ApiError::invalid("File " + file.id + " has " + std::to_string(file.record_count) +
                                 " Bedrock records; model '" + model->model_name + "' takes at most " +
                                 std::to_string(model->max_batch_records) +
                                 " per batch job. Split the file into several batches.",
                             "input_file_id", "too_many_requests");
  return std::nullopt;
}

}  // namespace batchgate::batch
