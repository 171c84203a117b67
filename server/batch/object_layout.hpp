#pragma once
// Where batchgate keeps its objects in S3: the one place that knows the key layout (spec/bedrock-batch.md
// §2 restricts the characters: ids are base62, so every key stays within them). Asio-free.
//
//   {s3_bucket}/{prefix}/files/{file_id}/original.jsonl          an uploaded file as sent
//   {s3_bucket}/{prefix}/files/{file_id}/input.jsonl             its Bedrock records (a batch job's input)
//   {s3_output_bucket}/{prefix}/batches/{batch_id}/bedrock/      Bedrock's output location for the batch
//   {s3_output_bucket}/{prefix}/batches/{batch_id}/output.jsonl  the OpenAI output file
//   {s3_output_bucket}/{prefix}/batches/{batch_id}/error.jsonl   the OpenAI error file

#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "server/aws/s3_uri.hpp"

namespace batchgate::batch {

struct InputFileObjects {
  aws::S3Location original;  // the file as uploaded
  aws::S3Location records;   // its Bedrock records
};
InputFileObjects input_file_objects(const config::Model& model, std::string_view file_id);

// The folder a Bedrock job of the batch writes into (its outputS3Uri), with a trailing '/'.
aws::S3Location bedrock_output_folder(const config::Model& model, std::string_view batch_id);

enum class ResultFile { kOutput, kError };
aws::S3Location result_file_object(const config::Model& model, std::string_view batch_id, ResultFile which);

// The folders batchgate writes objects into for the model ({prefix}/files/ and {prefix}/batches/).
std::vector<aws::S3Location> object_folders(const config::Model& model);
// Whether `key` lies in a Bedrock output folder (written by Bedrock, not batchgate).
bool is_bedrock_output(std::string_view key);

}  // namespace batchgate::batch
