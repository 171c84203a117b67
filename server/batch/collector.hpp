#pragma once
// The collector's I/O shell (DESIGN.md "Results"): streams a finished job's Bedrock output lines (from its
// runner) through a LineSplitter into CollectorCore and streams the OpenAI output and error files into the
// object store (spec/openai-batch.md §5, spec/bedrock-batch.md §8.2). Memory stays flat whatever the output
// size.

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/aws/s3_client.hpp"
#include "server/batch/collector_core.hpp"
#include "server/batch/object_store.hpp"
#include "server/batch/record_runner.hpp"
#include "server/common/ids.hpp"
#include "storage/records.hpp"
#include "translators/cost.hpp"
#include "translators/output_line.hpp"
#include "translators/translator.hpp"

namespace batchgate::batch {

// Streams a job's Bedrock output lines into the sink (RecordRunner::read_output for one job).
using OutputSource = std::function<boost::asio::awaitable<ObjectResult<OutputReport>>(ObjectSink sink)>;

struct CollectRequest {
  OutputSource source;  // required
  // Where the OpenAI files go. A file that gets no lines is not written.
  aws::S3Location output_file;
  aws::S3Location error_file;
  std::vector<storage::RecordMapping> mappings;         // of the batch's input file
  const translators::Translator* translator = nullptr;  // translators::find_translator(...); required
  CollectorOptions options;
  // Error code for requests whose records are absent from the output: kBatchExpired (job Expired /
  // PartiallyCompleted past the window), kBatchCancelled (Stopped), kMissingOutput (anything else).
  translators::MissingReason missing_reason = translators::MissingReason::kMissingOutput;
  std::size_t part_size = aws::MultipartUploader::kDefaultPartSize;
  // true: when the job's output holds no record at all, neither file is written (a job that failed before
  // it processed anything ends its batch failed without files).
  bool files_only_with_records = false;
};

struct WrittenFile {
  aws::S3Location object;
  std::uint64_t bytes = 0;
  std::int64_t lines = 0;
};

struct CollectResult {
  CollectorCounts counts;         // total / completed (output lines) / failed (error lines), anomalies
  translators::TokenUsage usage;  // of the records that succeeded (CollectorCore::usage)
  std::optional<WrittenFile> output_file;   // nullopt: no successful request, nothing written
  std::optional<WrittenFile> error_file;    // nullopt: no failed request, nothing written
  bool output_object_found = false;         // false: the job left no output (Failed/Stopped early)
  std::optional<BedrockManifest> manifest;  // the job's own counts, when it reported them
  std::string output_location;              // where the job's output was looked for (OutputReport::location)
};

// Every failure is a storage failure and worth retrying later (the lifecycle does); nothing is left behind:
// both uploads are aborted, and a file already completed is deleted again.
struct CollectError {
  std::string message;  // what failed, with the S3 error
  aws::S3Error s3;
};

using CollectOutcome = boost::system::result<CollectResult, CollectError>;

// Required by boost::system::result<T, CollectError>::value(); throws std::runtime_error with the message.
[[noreturn]] void throw_exception_from_error(const CollectError& error,
                                             const boost::source_location& location);

boost::asio::awaitable<CollectOutcome> collect(ObjectStore& files, IdGenerator& ids, CollectRequest request);

}  // namespace batchgate::batch
