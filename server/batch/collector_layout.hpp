#pragma once
// Where Bedrock puts a job's results and what its manifest says (spec/bedrock-batch.md §8.2). Asio-free.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate::batch {

// "arn:aws:bedrock:us-east-1:123:model-invocation-job/abc123" → "abc123" (the last path segment; the whole
// string when it has no '/'). Bedrock names the output folder after it.
std::string job_id_from_arn(std::string_view job_arn);

// {out_prefix}/{job_id}/{input_file_name}.out; an empty prefix, or '/' around it, is allowed.
std::string bedrock_output_key(std::string_view out_prefix, std::string_view job_id,
                               std::string_view input_file_name);
// {out_prefix}/{job_id}/manifest.json.out
std::string bedrock_manifest_key(std::string_view out_prefix, std::string_view job_id);

// manifest.json.out: {"totalRecordCount", "processedRecordCount", "successRecordCount", "errorRecordCount",
// "inputTokenCount", "outputTokenCount"}. Absent numbers are 0.
struct BedrockManifest {
  std::int64_t total_records = 0;
  std::int64_t processed_records = 0;
  std::int64_t success_records = 0;
  std::int64_t error_records = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;

  bool operator==(const BedrockManifest&) const = default;
};

// nullopt when the text is not a JSON object.
std::optional<BedrockManifest> parse_manifest(std::string_view text);

}  // namespace batchgate::batch
