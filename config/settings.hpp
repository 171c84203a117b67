#pragma once
// Typed, immutable settings loaded from a LiteLLM-compatible config.yaml (see deploy/config.example.yaml).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace batchgate::config {

struct AwsAuth {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string profile_name;
  std::string role_name;  // role to assume with STS before calling Bedrock/S3
  std::string session_name;
  std::string external_id;

  bool operator==(const AwsAuth&) const = default;
};

struct Pricing {
  // USD per token. Batch prices default to half the on-demand price (Bedrock's batch discount).
  double input_cost_per_token = 0;
  double output_cost_per_token = 0;
  double input_cost_per_token_batches = 0;
  double output_cost_per_token_batches = 0;
};

struct Model {
  std::string model_name;        // what clients send as body.model
  std::string bedrock_model_id;  // foundation model id, inference profile id, or ARN
  std::string mode;              // "batch" for models usable with /v1/batches
  std::string aws_region_name;
  AwsAuth auth;     // aws_access_key_id, aws_profile_name, aws_role_name, …
  AwsAuth s3_keys;  // LiteLLM's s3_access_key_id / s3_secret_access_key / s3_session_token (keys only)
  std::string aws_bedrock_endpoint;  // endpoint override, e.g. http://127.0.0.1:9123
  // bedrock-runtime endpoint override (InvokeModel for batches run on demand); empty: aws_bedrock_endpoint
  // when that is set (a stand-in serving both APIs), else https://bedrock-runtime.{region}.amazonaws.com.
  std::string aws_bedrock_runtime_endpoint;
  std::string aws_batch_role_arn;  // the Bedrock service role passed in CreateModelInvocationJob
  std::string s3_bucket;           // from s3_bucket_name "bucket/prefix"
  std::string s3_prefix;           // without leading or trailing '/'
  std::string s3_output_bucket;    // defaults to s3_bucket
  std::string s3_output_prefix;
  std::string s3_region_name;  // defaults to aws_region_name
  std::string s3_endpoint_url;
  std::string s3_encryption_key_id;  // SSE-KMS key for inputs and outputs
  Pricing pricing;
  int max_tokens = 4096;        // default max_tokens when a request gives none
  int min_batch_records = 100;  // Bedrock's minimum records per job
  // A batch below min_batch_records runs on demand (InvokeModel per record, on-demand price) unless this is
  // false, in which case it is refused at batches.create.
  bool on_demand_fallback = true;
  int on_demand_concurrency = 4;  // InvokeModel calls in flight at once for this model
  // Bedrock batch jobs of this model running at once (submitted and not ended); a batch beyond it waits in
  // validating for a free slot. Unset: only Bedrock's own quota limits them (its quota answer also queues).
  std::optional<int> max_concurrent_jobs;
  int max_batch_records = 50000;
  bool raw_output = false;   // keep Bedrock's raw output lines instead of OpenAI shapes
  bool drop_params = false;  // drop unsupported OpenAI parameters instead of failing the line
  // Per-model request rules (translators/model_rules.hpp); unset: the defaults for the Bedrock model id.
  std::optional<int> max_output_tokens;                      // cap on a line's max_tokens
  std::optional<std::vector<std::string>> exclusive_params;  // at most one of these ("temperature", "top_p")
  std::optional<std::vector<std::string>> required_params;   // OpenAI body keys every line must set

  bool is_batch() const { return mode == "batch"; }

  // Who signs the model's Bedrock calls: its aws_* keys or profile when given, else its s3_* keys, else the
  // default chain (environment, web identity, shared files, container, instance metadata); aws_role_name is
  // assumed on top of whichever it is.
  AwsAuth bedrock_credentials() const {
    if (!auth.access_key_id.empty() || !auth.profile_name.empty() || s3_keys.access_key_id.empty())
      return auth;
    AwsAuth a = auth;
    a.access_key_id = s3_keys.access_key_id;
    a.secret_access_key = s3_keys.secret_access_key;
    a.session_token = s3_keys.session_token;
    return a;
  }
  // Who signs its S3 calls: the s3_* keys when given, else the same credentials as Bedrock.
  AwsAuth s3_credentials() const { return s3_keys.access_key_id.empty() ? bedrock_credentials() : s3_keys; }
};

struct ServerSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;
  int worker_threads = 2;
  int blocking_threads = 4;  // SQLite and file work never runs on the I/O threads
  std::uint64_t max_json_body_bytes = 1 << 20;
  std::uint64_t max_header_bytes = 16 << 10;
  std::uint64_t max_upload_bytes = 200ull << 20;
  std::uint64_t max_upload_lines = 50000;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  // Open client connections at most; one more is answered 503 with Retry-After and closed. 0: derived from
  // the process's file-descriptor limit (see server/http/server.hpp).
  std::uint64_t max_connections = 0;
  // Memory uploads in flight may hold together (each is charged 21 MiB: two object writers of two 5 MiB
  // parts, and the spool's 1 MiB); past it an upload waits up to 10 s, then gets 503 + Retry-After. 0: none.
  std::uint64_t max_upload_memory = 256ull << 20;
  // Uploads in flight per key (the master key counts as one); past it 429. 0: no limit.
  std::uint64_t max_uploads_per_key = 4;
  std::chrono::seconds shutdown_grace{30};
  std::chrono::seconds poll_interval_min{10};
  std::chrono::seconds poll_interval_max{300};
  int poll_concurrency = 4;
  // How often files past their expires_at (expires_after, output_expires_after) are deleted.
  std::chrono::seconds expired_file_sweep{60};
  // Multipart uploads under batchgate's folders left open longer than abandoned_upload_age (a crash
  // mid-upload) are aborted at start and then every abandoned_upload_sweep.
  std::chrono::seconds abandoned_upload_age{24 * 3600};
  std::chrono::seconds abandoned_upload_sweep{3600};
  // Operational logs (stderr): "text" lines or "json" objects, one per line (litellm_settings.json_logs: true
  // also selects json). The access log (stdout) is JSON either way.
  std::string log_format = "text";
  // How often keys whose budget_duration has passed get their spend reset to 0.
  std::chrono::seconds budget_reset_sweep{60};
  // Where uploads wait while their target model is unknown (target_model_names after the file part); empty:
  // the system's temporary directory ($TMPDIR, else /tmp).
  std::string spool_dir;
};

struct GeneralSettings {
  std::string master_key;
  std::string database_path = "./batchgate.db";
};

struct Settings {
  std::vector<Model> models;
  GeneralSettings general;
  ServerSettings server;
  // environment_variables: applied before os.environ/ references are resolved, and exported by main.
  std::map<std::string, std::string> environment_variables;

  const Model* find_model(std::string_view model_name) const {
    for (const auto& m : models)
      if (m.model_name == model_name) return &m;
    return nullptr;
  }
};

}  // namespace batchgate::config
