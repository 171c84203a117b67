#pragma once
// Typed, immutable settings loaded from a LiteLLM-compatible config.yaml (see deploy/config.example.yaml).

#include <chrono>
#include <cstdint>
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
  AwsAuth auth;
  std::string aws_bedrock_endpoint;  // endpoint override, e.g. http://127.0.0.1:9123
  std::string aws_batch_role_arn;    // the Bedrock service role passed in CreateModelInvocationJob
  std::string s3_bucket;             // from s3_bucket_name "bucket/prefix"
  std::string s3_prefix;             // without leading or trailing '/'
  std::string s3_output_bucket;      // defaults to s3_bucket
  std::string s3_output_prefix;
  std::string s3_region_name;        // defaults to aws_region_name
  std::string s3_endpoint_url;
  std::string s3_encryption_key_id;  // SSE-KMS key for inputs and outputs
  Pricing pricing;
  int max_tokens = 4096;             // default max_tokens when a request gives none
  int min_batch_records = 100;       // Bedrock's minimum records per job
  int max_batch_records = 50000;
  bool raw_output = false;           // keep Bedrock's raw output lines instead of OpenAI shapes
  bool drop_params = false;          // drop unsupported OpenAI parameters instead of failing the line

  bool is_batch() const { return mode == "batch"; }
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
  std::chrono::seconds shutdown_grace{30};
  std::chrono::seconds poll_interval_min{10};
  std::chrono::seconds poll_interval_max{300};
  int poll_concurrency = 4;
  // How often files past their expires_at (expires_after, output_expires_after) are deleted.
  std::chrono::seconds expired_file_sweep{60};
};

struct GeneralSettings {
  std::string master_key;
  std::string database_path = "./batchgate.db";
};

struct Settings {
  std::vector<Model> models;
  GeneralSettings general;
  ServerSettings server;

  const Model* find_model(std::string_view model_name) const {
    for (const auto& m : models)
      if (m.model_name == model_name) return &m;
    return nullptr;
  }
};

}  // namespace batchgate::config
