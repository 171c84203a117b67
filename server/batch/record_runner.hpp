#pragma once
// How a batch's records are run. Each job of a batch names its runner (JobRecord::runner); the batch core
// asks that runner to start, follow and stop the job and to hand over its output, and never knows how the
// records run. The Bedrock batch job (bedrock_job_runner.hpp) is the first runner; a runner calling
// InvokeModel record by record, or one job per part of a split file, slot in beside it.

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "config/settings.hpp"
#include "server/batch/collector_layout.hpp"
#include "server/batch/object_store.hpp"
#include "storage/records.hpp"
#include "translators/output_line.hpp"

namespace batchgate::batch {

// Where a job stands, in the runner-neutral terms the batch's state machine uses.
enum class JobState {
  kPending,   // accepted, not running yet: the batch is validating
  kRunning,   // records are being run: in_progress
  kStopping,  // a stop is under way: cancelling
  kFailed,    // ended without results: the batch fails
  kEnded,     // ended with results to collect (see Ending)
};

// For a job that ended with results: the status the batch ends in and how records that have no result are
// reported.
struct Ending {
  storage::BatchStatus status = storage::BatchStatus::kCompleted;
  translators::MissingReason missing = translators::MissingReason::kMissingOutput;
};

struct JobView {
  JobState state = JobState::kPending;
  std::optional<Ending> ending;  // set for kEnded
};

struct RunnerError {
  bool retryable = false;  // throttling, 5xx, transport: try again later
  std::string code;        // the service's error code, e.g. "ValidationException"
  std::string message;     // the service's message, for the user
  std::string detail;      // everything known (kind, code, HTTP status, message), for the log
  // The account's concurrent-job quota is full (Bedrock's ServiceQuotaExceededException): the batch waits in
  // the job queue (job_queue.hpp) and tries again, it does not fail.
  bool quota_full = false;
};

// Required by boost::system::result<T, RunnerError>::value(); throws std::runtime_error with the message.
[[noreturn]] void throw_exception_from_error(const RunnerError& error,
                                             const boost::source_location& location);

template <class T>
using RunnerResult = boost::system::result<T, RunnerError>;

// What reading a job's output found.
struct OutputReport {
  bool found = false;                       // false: the job left no output; every record is missing
  std::optional<BedrockManifest> manifest;  // the job's own counts, when it reports them
  std::string location;                     // where the output was looked for (s3://…), for messages
};

// A job the runner started.
struct StartedJob {
  std::string id;                             // the runner's id for the job, kept in JobRecord::job_arn
  std::string status;                         // its first status word
  std::optional<std::int64_t> poll_again_in;  // as JobProgress::poll_again_in
};

// What a poll saw.
struct JobProgress {
  std::string status;  // the runner's own status word, kept in JobRecord::bedrock_status
  std::optional<std::string> message;
  std::optional<std::int64_t> completed;  // records answered so far, when the runner knows
  std::optional<std::int64_t> failed;     // records failed so far
  // When the runner wants the next poll (a job running in this process reports its progress every second);
  // unset: the lifecycle's backoff between poll_interval_min and poll_interval_max.
  std::optional<std::int64_t> poll_again_in;
  // Set while the job waits in the service's queue (Bedrock's Scheduled) with a deadline after which the
  // service expires it unstarted: {submitted, deadline} in unix seconds.
  std::optional<std::pair<std::int64_t, std::int64_t>> queued_until;
};

class RecordRunner {
 public:
  virtual ~RecordRunner() = default;

  // The name jobs store (JobRecord::runner).
  virtual std::string_view name() const = 0;
  // Spend of the job's records: at the model's batch prices (a Bedrock batch job) or its on-demand prices.
  virtual bool batch_priced() const = 0;
  // Whether its jobs take one of the model's max_concurrent_jobs slots (Bedrock batch jobs do; records run
  // on demand in this process do not), so that a new job waits in the job queue while they are taken.
  virtual bool counts_against_job_quota() const = 0;
  // What a status word this runner stored means.
  virtual JobView view(std::string_view status) const = 0;

  // The job that runs part `index` of the batch's input (0 for a batch of one job): its names, its
  // idempotency token and where its input and output lie. Written to the store before submit() is called.
  virtual storage::JobRecord plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                                  const config::Model& model, std::int64_t index) const = 0;

  // Starts the job's records. Asking again for the same job never starts its records twice.
  virtual boost::asio::awaitable<RunnerResult<StartedJob>> submit(const storage::BatchRecord& batch,
                                                                  const storage::JobRecord& job,
                                                                  const config::Model& model) = 0;
  virtual boost::asio::awaitable<RunnerResult<JobProgress>> poll(const storage::BatchRecord& batch,
                                                                 const storage::JobRecord& job,
                                                                 const config::Model& model) = 0;
  // Asks the job to stop; success also when it has already ended.
  virtual boost::asio::awaitable<RunnerResult<void>> stop(const storage::BatchRecord& batch,
                                                          const storage::JobRecord& job,
                                                          const config::Model& model) = 0;
  // Streams the ended job's results to `sink` as Bedrock batch output lines ({"recordId", "modelInput",
  // "modelOutput" | "error"}, spec/bedrock-batch.md §8.2), in any order.
  virtual boost::asio::awaitable<ObjectResult<OutputReport>> read_output(const storage::JobRecord& job,
                                                                         const config::Model& model,
                                                                         ObjectSink sink) = 0;
};

}  // namespace batchgate::batch
