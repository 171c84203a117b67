#pragma once
// The collector's I/O shell (DESIGN.md "Results"): streams a finished Bedrock job's
// {out_prefix}/{jobId}/{input_file_name}.out through a LineSplitter into CollectorCore and streams the
// OpenAI output and error files back to S3 with two multipart uploads (spec/openai-batch.md §5,
// spec/bedrock-batch.md §8.2). Memory stays flat whatever the output size.

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/aws/s3_client.hpp"
#include "server/batch/collector_core.hpp"
#include "server/batch/collector_layout.hpp"
#include "server/common/ids.hpp"
#include "storage/records.hpp"
#include "translators/cost.hpp"
#include "translators/output_line.hpp"
#include "translators/translator.hpp"

namespace batchgate::batch {

struct CollectRequest {
  // Bedrock's results: s3://{out_bucket}/{out_prefix}/{job_id}/{input_file_name}.out and manifest.json.out.
  std::string out_bucket;
  std::string out_prefix;       // the job's output prefix; may be empty, '/' around it is ignored
  std::string job_id;           // job_id_from_arn(job ARN)
  std::string input_file_name;  // name of the job's input object, e.g. "input.jsonl"
  // Where the OpenAI files go. A file that gets no lines is not written.
  std::string files_bucket;
  std::string output_key;
  std::string error_key;
  std::vector<storage::RecordMapping> mappings;  // of the batch's input file
  const translators::Translator* translator = nullptr;  // translators::find_translator(...); required
  CollectorOptions options;
  // Error code for requests whose records are absent from the output: kBatchExpired (job Expired /
  // PartiallyCompleted past the window), kBatchCancelled (Stopped), kMissingOutput (anything else).
  translators::MissingReason missing_reason = translators::MissingReason::kMissingOutput;
  std::size_t part_size = aws::MultipartUploader::kDefaultPartSize;
};

struct WrittenFile {
  std::string key;
  std::uint64_t bytes = 0;
  std::int64_t lines = 0;
};

struct CollectResult {
  CollectorCounts counts;          // total / completed (output lines) / failed (error lines), anomalies
  translators::TokenUsage usage;   // of the records that succeeded (CollectorCore::usage)
  std::optional<WrittenFile> output_file;  // nullopt: no successful request, nothing written
  std::optional<WrittenFile> error_file;   // nullopt: no failed request, nothing written
  bool output_object_found = false;        // false: Bedrock wrote no .out (job Failed/Stopped early)
  std::optional<BedrockManifest> manifest;  // nullopt: no manifest.json.out, or not a JSON object
};

// Every failure is an S3 failure and worth retrying later (the poller does); nothing is left behind: both
// uploads are aborted, and a file already completed is deleted again.
struct CollectError {
  std::string message;  // what failed, with the S3 error
  aws::S3Error s3;
};

using CollectOutcome = boost::system::result<CollectResult, CollectError>;

// Required by boost::system::result<T, CollectError>::value(); throws std::runtime_error with the message.
[[noreturn]] void throw_exception_from_error(const CollectError& error, const boost::source_location& location);

boost::asio::awaitable<CollectOutcome> collect(aws::S3Client& s3, IdGenerator& ids, CollectRequest request);

}  // namespace batchgate::batch
