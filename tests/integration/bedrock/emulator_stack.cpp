#include "emulator_stack.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace batchgate::test {

namespace {

// Reads "listening on 127.0.0.1:PORT" from the emulator's log; 0 if it does not appear in time.
std::uint16_t announced_port(const std::string& log, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    std::ifstream in(log);
    std::string line;
    if (std::getline(in, line) && line.starts_with("listening on 127.0.0.1:")) {
      return static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

}  // namespace

EmulatorStack::EmulatorStack() : moto_(std::make_unique<MotoServer>()) {
  if (!moto_->ok()) {
    error_ = moto_->error();
    return;
  }
  if (!moto_->create_bucket(kBucket)) {
    error_ = "could not create bucket " + kBucket;
    return;
  }
  // --port 0: the emulator binds a free port itself and announces it, so parallel tests cannot race for it.
  const std::string log = "/tmp/batchgate-bedrock-emulator-" + std::to_string(getpid()) + "-" +
                          std::to_string(moto_->port()) + ".log";
  const std::vector<std::string> argv{
      std::string(BATCHGATE_BINARY_DIR) + "/deploy/bedrock-emulator/bedrock-emulator",
      "--port",
      "0",
      "--access-key-id",
      moto_->access_key_id(),
      "--secret-access-key",
      moto_->secret_access_key(),
      "--s3-endpoint",
      moto_->endpoint(),
      "--s3-access-key-id",
      moto_->access_key_id(),
      "--s3-secret-access-key",
      moto_->secret_access_key(),
      "--submitted-seconds",
      "0.1",
      "--validating-seconds",
      "0.1",
      "--scheduled-seconds",
      "0.1",
      "--stopping-seconds",
      "0.2",
      "--max-concurrent-jobs",
      "100"};
  emulator_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, log);
  port_ = announced_port(log, std::chrono::seconds(10));
  if (!emulator_->started() || port_ == 0 || !wait_for_port(port_, std::chrono::seconds(5))) {
    error_ = "bedrock-emulator did not start; see " + log;
  }
}

StackClients::StackClients(const EmulatorStack& stack, std::string secret, std::string access_key_id,
                           int max_attempts)
    : stack_(stack),
      bedrock_(http_,
               [&] {
                 aws::BedrockConfig c;
                 c.endpoint_url = stack.endpoint();
                 c.credentials = aws::static_credentials(aws::Credentials{
                     access_key_id.empty() ? stack.moto().access_key_id() : access_key_id,
                     secret.empty() ? stack.moto().secret_access_key() : secret, std::nullopt});
                 // One attempt by default so that tests see each error code instead of the retries.
                 c.retry.max_attempts = max_attempts;
                 c.retry.base_delay = std::chrono::milliseconds(10);
                 return c;
               }()),
      s3_(http_, [&] {
        aws::S3Config c;
        c.endpoint_url = stack.moto().endpoint();
        c.credentials = aws::static_credentials(
            aws::Credentials{stack.moto().access_key_id(), stack.moto().secret_access_key(), std::nullopt});
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
