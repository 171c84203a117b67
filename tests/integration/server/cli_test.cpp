// The batchgate binary as an operator runs it: config errors, start-up from the example config, SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "http_test_client.hpp"

namespace batchgate {
namespace {

const std::string kBinary = std::string(BATCHGATE_BINARY_DIR) + "/server/batchgate";
const std::string kSource = BATCHGATE_SOURCE_DIR;

struct Child {
  pid_t pid = -1;
  std::string stderr_path;

  std::string stderr_text() const {
    std::ifstream in(stderr_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Waits for exit; returns the exit status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

std::unique_ptr<Child> spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                             const std::filesystem::path& dir) {
  auto child = std::make_unique<Child>();
  child->stderr_path = (dir / "stderr.log").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    int err = ::open(child->stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int out = ::open((dir / "stdout.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, 2);
    ::dup2(out, 1);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kBinary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(kBinary.c_str(), argv.data());
    ::_exit(127);
  }
  child->pid = pid;
  return child;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("batchgate-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CliTest, ConfigWithThreeMistakesPrintsAllThreeAndExitsNonZero) {
  const auto path = dir_ / "bad.yaml";
  std::ofstream(path) << R"(
model_list:
  - model_name: a
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
    model_info: {mode: batch}
  - model_name: b
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      s3_bucket_name: bucket-b
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
    model_info: {mode: batch}
general_settings:
  master_key: sk-master-1234
batchgate_settings:
  port: not-a-port
)";
  auto child = spawn({"--config", path.string()}, {{"AWS_REGION", ""}}, dir_);
  EXPECT_EQ(child->wait_exit(std::chrono::seconds(10)), 1);
  const std::string err = child->stderr_text();
  EXPECT_NE(err.find("3 error(s)"), std::string::npos) << err;
  EXPECT_NE(err.find("model_list[0].litellm_params.s3_bucket_name: required for mode: batch"), std::string::npos)
      << err;
  EXPECT_NE(err.find("model_list[1].litellm_params.aws_region_name: required for mode: batch"), std::string::npos)
      << err;
  EXPECT_NE(err.find("batchgate_settings.port: must be a whole number"), std::string::npos) << err;
}

TEST_F(CliTest, ExampleConfigStartsServesHealthAndStopsOnSigterm) {
  std::map<std::string, std::string> env = {
      {"BATCHGATE_MASTER_KEY", "sk-example-master"}, {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
      {"AWS_SECRET_ACCESS_KEY", "secret"},          {"S3_ENDPOINT_URL", "http://127.0.0.1:1"},
      {"BEDROCK_ENDPOINT_URL", "http://127.0.0.1:1"}, {"BATCHGATE_BUCKET", "batchgate-test/in"},
      {"BATCHGATE_DB", (dir_ / "example.db").string()}};
  auto child = spawn({"--config", kSource + "/deploy/config.example.yaml", "--port", "0"}, env, dir_);

  std::smatch m;
  std::string err;
  const std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
  for (int i = 0; i < 200 && !std::regex_search(err, m, listening); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    err = child->stderr_text();
  }
  ASSERT_TRUE(std::regex_search(err, m, listening)) << err;
  const auto port = std::uint16_t(std::stoi(m[1]));

  testing::HttpCall health;
  health.target = "/health";
  EXPECT_EQ(testing::http_call(port, health).status, 200);
  EXPECT_EQ(err.find("secret"), std::string::npos) << "secrets must never reach the logs";

  ::kill(child->pid, SIGTERM);
  EXPECT_EQ(child->wait_exit(std::chrono::seconds(10)), 0) << child->stderr_text();
  EXPECT_NE(child->stderr_text().find("batchgate stopped"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "example.db"));
}

TEST_F(CliTest, CheckConfigValidatesWithoutStarting) {
  auto child = spawn({"--config", (dir_ / "missing.yaml").string(), "--check-config"}, {}, dir_);
  EXPECT_EQ(child->wait_exit(std::chrono::seconds(10)), 1);
  EXPECT_NE(child->stderr_text().find("cannot read config file"), std::string::npos);
}

// LiteLLM's walkthrough config as the README points at it: its S3 keys from the environment, sk-1234.
TEST_F(CliTest, LiteLLMWalkthroughConfigLoads) {
  auto child = spawn({"--config", kSource + "/deploy/litellm-walkthrough.yaml", "--check-config"},
                     {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "secret"}}, dir_);
  EXPECT_EQ(child->wait_exit(std::chrono::seconds(10)), 0) << child->stderr_text();
  std::ifstream out(dir_ / "stdout.log");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(out), {}), "config ok: 1 model(s)\n");
  EXPECT_NE(child->stderr_text().find("general_settings.master_key: only 7 characters"), std::string::npos)
      << child->stderr_text();
}

}  // namespace
}  // namespace batchgate
