#pragma once
// Where Bedrock puts a job's results and what its manifest says (spec/bedrock-batch.md §8.2). Asio-free.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// What listing a job's output location found. AWS documents only "one output file per input file plus
// manifest.json.out in the output location" (spec/bedrock-batch.md §8.2); the {jobId}/ folder and the
// {input}.out name are observed, not promised, so the collector lists when the expected object is missing.
struct DiscoveredOutput {
  std::optional<std::string> manifest_key;
  std::vector<std::string> output_keys;  // every other *.out, in listing order

  bool operator==(const DiscoveredOutput&) const = default;
};

// `keys` are what lies under the job's output location `folder_key`. Objects with `job_id` as a path segment
// below it are this job's; when no key names it (a layout without the job folder), the objects directly in
// the folder are taken, never those in another job's subfolder.
DiscoveredOutput discover_output(const std::vector<std::string>& keys, std::string_view folder_key,
                                 std::string_view job_id);

// What the collector read compared with what the job says it did.
struct OutputTally {
  std::optional<BedrockManifest> manifest;
  bool output_found = false;      // some output object was read
  std::int64_t records_read = 0;  // distinct known records found in the output
  std::int64_t records_sent = 0;  // records of the job's input
  bool job_completed = false;     // Bedrock says every record was processed (Completed)
  std::string location;           // s3://… of the output location, for the message
};

// nullopt when they agree; else a message for the batch's errors and the log: the manifest counts more
// processed records than the output holds, or a completed job left no output at all.
std::optional<std::string> output_disagreement(const OutputTally& tally);

}  // namespace batchgate::batch
