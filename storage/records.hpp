#pragma once
// Rows of the store, as plain values. Times are unix seconds.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/batch_status.hpp"

namespace batchgate::storage {

struct KeyRecord {
  std::int64_t id = 0;
  std::string token_hash;  // SHA-256 hex of the key; the key itself is never stored
  std::string key_name;    // masked form for display, e.g. "sk-...k3Xq"
  std::string key_alias;
  std::vector<std::string> models;  // empty = every configured model
  std::optional<double> max_budget;
  double spend = 0;
  std::string user_id;
  std::string team_id;
  std::string metadata_json = "{}";
  bool blocked = false;
  std::optional<std::int64_t> expires_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // budget_duration: spend goes back to 0 every this many seconds, next at budget_reset_at (LiteLLM's).
  std::optional<std::int64_t> budget_duration;
  std::optional<std::int64_t> budget_reset_at;
};

// LiteLLM's users and teams: keys name them (KeyRecord::user_id, team_id); each may have a budget, which
// holds for all its keys together — the tightest of key, user and team wins.
enum class AccountKind { kUser, kTeam };

struct AccountRecord {
  AccountKind kind = AccountKind::kUser;
  std::string id;  // user_id / team_id
  std::string alias;
  std::optional<double> max_budget;
  double spend = 0;
  std::optional<std::int64_t> budget_duration;
  std::optional<std::int64_t> budget_reset_at;
  std::string metadata_json = "{}";
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct FileRecord {
  std::string id;                            // "file-…"
  std::optional<std::int64_t> owner_key_id;  // nullopt: created with the master key
  std::string purpose;
  std::string filename;
  std::int64_t bytes = 0;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::string status = "processed";
  std::string model;     // batch input files: the model_name every line uses
  std::string endpoint;  // batch input files: the url every line uses
  std::int64_t line_count = 0;
  std::int64_t record_count = 0;  // Bedrock records (embeddings lists expand)
  std::string content_s3_uri;     // the file as uploaded (or the generated output)
  std::string bedrock_s3_uri;     // translated Bedrock JSONL, batch input files only
  std::int64_t bedrock_bytes = 0;
  std::string batch_id;  // output/error files: the batch that produced them
  // Batch input files: what the batch's records may cost at most, in tokens — input estimated from the
  // records' size, output the sum of each request's max_tokens (or the model's default). Batches reserve it.
  std::int64_t estimated_input_tokens = 0;
  std::int64_t max_output_tokens = 0;
};

// custom_id ↔ Bedrock recordId for one input file, kept because custom_ids are not valid recordIds.
struct RecordMapping {
  std::string record_id;
  std::string custom_id;
  std::int64_t line = 0;  // 1-based line of the input file
  std::int64_t part = 0;  // index within an expanded request (embedding list inputs)
  std::int64_t parts = 1;
  std::int64_t hints = 0;  // translators::ResponseHints as bits, for the way back
};

struct BatchRecord {
  std::string id;  // "batch_…"
  std::optional<std::int64_t> owner_key_id;
  std::string input_file_id;
  std::string endpoint;
  std::string model;
  std::string completion_window = "24h";
  BatchStatus status = BatchStatus::kValidating;
  std::string output_file_id;
  std::string error_file_id;
  std::string errors_json;  // "" or an OpenAI errors list
  std::string metadata_json;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> in_progress_at, expires_at, finalizing_at, completed_at, failed_at, expired_at,
      cancelling_at, cancelled_at;
  std::int64_t total = 0, completed = 0, failed = 0;
  std::int64_t input_tokens = 0, output_tokens = 0;
  double spend = 0;
  double reserved_cost = 0;  // USD held against the key's budget until the batch ends (then: its spend)
  std::optional<std::int64_t> output_expires_seconds;  // output_expires_after: output/error files expire then
  std::int64_t version = 0;                            // compare-and-set guard for state transitions
};

struct JobRecord {
  std::int64_t id = 0;
  std::string batch_id;
  std::int64_t job_index = 0;
  std::string client_request_token;
  std::string job_name;
  std::string runner = "bedrock_batch_job";  // how the job's records run (the runner's name)
  std::string job_arn;                       // the runner's id of the started job; empty until it started
  std::string bedrock_status;  // the runner's last status of the job (Bedrock's job status for batch jobs)
  std::string message;
  std::string input_s3_uri;
  std::string output_s3_uri;
  bool stop_requested = false;                // StopModelInvocationJob was sent
  std::optional<std::int64_t> started_at;     // when the runner accepted the job (job_arn set)
  std::optional<std::int64_t> quota_full_at;  // the last submit was refused because the job quota was full
  std::int64_t next_poll_at = 0;
  std::int64_t poll_interval = 0;
  std::int64_t updated_at = 0;
};

// A batch the lifecycle still drives, with its first Bedrock job.
struct ActiveBatch {
  BatchRecord batch;
  JobRecord job;
};

// The latest job start of one key on one model: the job queue serves the key that waited longest since.
struct JobStart {
  std::string model;
  std::optional<std::int64_t> owner_key_id;  // nullopt: the master key
  std::int64_t started_at = 0;
};

struct SpendRecord {
  std::int64_t id = 0;
  std::string batch_id;
  std::optional<std::int64_t> key_id;
  std::string user_id;
  std::string team_id;
  std::string model;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  double cost = 0;
  std::int64_t created_at = 0;
  std::string pricing = "batch";  // "batch" (a Bedrock batch job) or "on_demand" (records run one by one)
};

// The answer to one record of a job run on demand, stored as soon as it arrives so that a restart never runs
// an answered record again: a Bedrock batch output line ({"recordId", "modelInput", "modelOutput" |
// "error"}).
struct RecordResult {
  std::string batch_id;
  std::int64_t job_index = 0;
  std::int64_t record_index = 0;  // 0-based position of the record in the job's input
  std::string line;
  bool failed = false;
};

struct RecordResultCounts {
  std::int64_t answered = 0;  // records with a result (succeeded or failed)
  std::int64_t failed = 0;
};

}  // namespace batchgate::storage
