#include "emulator_stack.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace batchgate::test {

namespace {

// Phases shortened so that jobs finish within a test.
const std::vector<std::string> kFastJobs{"--submitted-seconds",   "0.1", "--validating-seconds", "0.1",
                                         "--scheduled-seconds",   "0.1", "--stopping-seconds",   "0.2",
                                         "--max-concurrent-jobs", "100"};

// CreateBucket is a PUT of the bucket path with an empty body: put_object with an empty key sends exactly
// that.
std::string create_bucket_with_s3_client(const EmulatorStack& stack, const std::string& bucket) {
  boost::asio::io_context io;
  aws::HttpClient http(io.get_executor());
  aws::S3Config config;
  config.endpoint_url = stack.s3_endpoint();
  config.credentials = aws::static_credentials(
      aws::Credentials{stack.access_key_id(), stack.secret_access_key(), std::nullopt});
  aws::S3Client s3(http, std::move(config));
  auto created = run_coroutine(io, s3.put_object(bucket, "", ""));
  return created ? std::string() : created.error().to_string();
}

}  // namespace

EmulatorStack::EmulatorStack(StackS3 s3) {
  std::vector<std::string> flags;
  if (s3 == StackS3::kEmulator) {
    access_key_id_ = "AKIDSERVES3EXAMPLE";
    secret_access_key_ = "serve-s3-secret";
    flags = {"--serve-s3", "--access-key-id", access_key_id_, "--secret-access-key", secret_access_key_};
  } else {
    moto_ = std::make_unique<MotoServer>();
    if (!moto_->ok()) {
      error_ = moto_->error();
      return;
    }
    if (!moto_->create_bucket(kBucket)) {
      error_ = "could not create bucket " + kBucket;
      return;
    }
    access_key_id_ = moto_->access_key_id();
    secret_access_key_ = moto_->secret_access_key();
    flags = {"--access-key-id",        access_key_id_,    "--secret-access-key", secret_access_key_,
             "--s3-endpoint",          moto_->endpoint(), "--s3-access-key-id",  access_key_id_,
             "--s3-secret-access-key", secret_access_key_};
  }
  flags.insert(flags.end(), kFastJobs.begin(), kFastJobs.end());
  emulator_ = std::make_unique<EmulatorProcess>(flags, s3 == StackS3::kEmulator ? "serve-s3" : "moto");
  if (!emulator_->ok()) {
    error_ = emulator_->error();
    return;
  }
  if (s3 == StackS3::kEmulator) error_ = create_bucket_with_s3_client(*this, kBucket);
}

StackClients::StackClients(const EmulatorStack& stack, std::string secret, std::string access_key_id,
                           int max_attempts)
    : stack_(stack),
      bedrock_(http_,
               [&] {
                 aws::BedrockConfig c;
                 c.endpoint_url = stack.endpoint();
                 c.credentials = aws::static_credentials(
                     aws::Credentials{access_key_id.empty() ? stack.access_key_id() : access_key_id,
                                      secret.empty() ? stack.secret_access_key() : secret, std::nullopt});
                 // One attempt by default so that tests see each error code instead of the retries.
                 c.retry.max_attempts = max_attempts;
                 c.retry.base_delay = std::chrono::milliseconds(10);
                 return c;
               }()),
      s3_(http_, [&] {
        aws::S3Config c;
        c.endpoint_url = stack.s3_endpoint();
        c.credentials = aws::static_credentials(
            aws::Credentials{stack.access_key_id(), stack.secret_access_key(), std::nullopt});
        return c;
      }()) {}

int StackClients::configure(const nlohmann::json& knobs) {
  aws::HttpRequest request;
  request.method = "POST";
  request.path = "/_emulator/config";
  request.headers.push_back({"Content-Type", "application/json"});
  request.body = knobs.dump();
  auto response = run(http_.send(*aws::parse_url(stack_.endpoint()), request));
  return response ? response->status : 0;
}

nlohmann::json StackClients::stats() {
  aws::HttpRequest request;
  request.path = "/_emulator/stats";
  auto response = run(http_.send(*aws::parse_url(stack_.endpoint()), request));
  return response ? nlohmann::json::parse(response->body, nullptr, false) : nlohmann::json();
}

aws::InvocationJob StackClients::wait_for(const std::string& arn,
                                          std::initializer_list<std::string_view> wanted) {
  aws::InvocationJob last;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    auto job = run(bedrock_.get_model_invocation_job(arn));
    if (!job) {
      ADD_FAILURE() << job.error().to_string();
      return last;
    }
    last = *job;
    for (auto status : wanted) {
      if (last.status == status) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << arn << " stayed " << last.status;
  return last;
}

aws::CreateJobRequest StackClients::job_request(std::string name, std::string input_key,
                                                std::string output_prefix) const {
  aws::CreateJobRequest r;
  r.job_name = std::move(name);
  r.role_arn = kRole;
  r.model_id = kClaude;
  r.input.s3_uri = "s3://" + kBucket + "/" + input_key;
  r.output.s3_uri = "s3://" + kBucket + "/" + output_prefix;
  return r;
}

}  // namespace batchgate::test
