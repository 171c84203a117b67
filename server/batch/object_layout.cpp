#include "server/batch/object_layout.hpp"

#include <string>

namespace batchgate::batch {
namespace {

std::string batch_folder(const config::Model& model, std::string_view batch_id) {
  return aws::join_key(model.s3_output_prefix, "batches/" + std::string(batch_id) + "/");
}

}  // namespace

InputFileObjects input_file_objects(const config::Model& model, std::string_view file_id) {
  const std::string folder = aws::join_key(model.s3_prefix, "files/" + std::string(file_id) + "/");
  return {{model.s3_bucket, folder + "original.jsonl"}, {model.s3_bucket, folder + "input.jsonl"}};
}

aws::S3Location bedrock_output_folder(const config::Model& model, std::string_view batch_id) {
  return {model.s3_output_bucket, batch_folder(model, batch_id) + "bedrock/"};
}

aws::S3Location result_file_object(const config::Model& model, std::string_view batch_id, ResultFile which) {
  return {model.s3_output_bucket,
          batch_folder(model, batch_id) + (which == ResultFile::kOutput ? "output.jsonl" : "error.jsonl")};
}

std::vector<aws::S3Location> object_folders(const config::Model& model) {
  return {{model.s3_bucket, aws::join_key(model.s3_prefix, "files/")},
          {model.s3_output_bucket, aws::join_key(model.s3_output_prefix, "batches/")}};
}

bool is_bedrock_output(std::string_view key) {
  return key.find("/bedrock/") != std::string_view::npos;
}

}  // namespace batchgate::batch
