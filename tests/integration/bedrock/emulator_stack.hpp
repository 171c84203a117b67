#pragma once

// A SigV4-checking moto_server plus a bedrock-emulator that accepts moto's IAM key and keeps job data in
// it — or the emulator alone serving its own in-memory S3 (--serve-s3) — with our BedrockClient and
// S3Client pointed at them. Shared by the Bedrock integration tests.

#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "server/aws/bedrock_client.hpp"
#include "server/aws/s3_client.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/moto_server.hpp"
#include "tests/support/run_coroutine.hpp"

namespace batchgate::test {

inline const std::string kBucket = "bedrock-it";
inline const std::string kRole = "arn:aws:iam::123456789012:role/BedrockBatchRole";
inline const std::string kClaude = "anthropic.claude-3-haiku-20240307-v1:0";

// Where the stack's S3 is: moto_server, or the emulator's own in-memory S3 on the emulator's port.
enum class StackS3 { kMoto, kEmulator };

class EmulatorStack {
 public:
  explicit EmulatorStack(StackS3 s3 = StackS3::kMoto);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string endpoint() const { return emulator_ ? emulator_->endpoint() : "http://127.0.0.1:0"; }
  std::string s3_endpoint() const { return moto_ ? moto_->endpoint() : endpoint(); }
  // The key pair both the emulator and the S3 accept.
  const std::string& access_key_id() const { return access_key_id_; }
  const std::string& secret_access_key() const { return secret_access_key_; }

 private:
  std::unique_ptr<MotoServer> moto_;
  std::unique_ptr<EmulatorProcess> emulator_;
  std::string access_key_id_;
  std::string secret_access_key_;
  std::string error_;
};

// Runs coroutines of the clients on a private io_context.
class StackClients {
 public:
  explicit StackClients(const EmulatorStack& stack, std::string secret = {}, std::string access_key_id = {},
                        int max_attempts = 1);

  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return run_coroutine(io_, std::move(task));
  }

  aws::BedrockClient& bedrock() { return bedrock_; }
  aws::S3Client& s3() { return s3_; }
  // POST /_emulator/config (unsigned admin endpoint); returns the HTTP status.
  int configure(const nlohmann::json& knobs);
  nlohmann::json stats();
  // Polls Get until the status is one of `wanted` (or 30 s pass); returns the last job seen.
  aws::InvocationJob wait_for(const std::string& arn, std::initializer_list<std::string_view> wanted);

  aws::CreateJobRequest job_request(std::string name, std::string input_key, std::string output_prefix) const;

 private:
  const EmulatorStack& stack_;
  boost::asio::io_context io_;
  aws::HttpClient http_{io_.get_executor()};
  aws::BedrockClient bedrock_;
  aws::S3Client s3_;
};

}  // namespace batchgate::test
