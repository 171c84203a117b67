// credential_process (spec/aws-sigv4-s3.md §4.6) with small scripts written by the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/aws/credentials_process.hpp"

namespace batchgate::aws {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class CredentialProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("batchgate-process-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string script(const std::string& name, const std::string& body) {
    fs::path path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  fs::path dir_;
};

TEST_F(CredentialProcessTest, ParsesTheJsonTheProcessPrints) {
  std::string path =
      script("ok.sh",
             "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"s\",'\n"
             "echo ' \"SessionToken\": \"t\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n");
  auto credentials = credential_process_blocking(path + " --profile x", milliseconds(5000));
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->credentials.access_key_id, "ASIAPROC");
  EXPECT_EQ(credentials->credentials.session_token, "t");
  EXPECT_TRUE(credentials->expiration);
}

TEST_F(CredentialProcessTest, ArgumentsReachTheProcess) {
  std::string path =
      script("args.sh", "printf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"s\"}' \"$2\"\n");
  auto credentials = credential_process_blocking(path + " --key 'AKIA ARG'", milliseconds(5000));
  ASSERT_TRUE(credentials) << credentials.error().message;
  EXPECT_EQ(credentials->credentials.access_key_id, "AKIA ARG");
}

TEST_F(CredentialProcessTest, NonZeroExitReportsStatusAndStderr) {
  std::string path = script("fail.sh", "echo 'token expired, run sso login' >&2\nexit 3\n");
  auto credentials = credential_process_blocking(path, milliseconds(5000));
  ASSERT_FALSE(credentials);
  EXPECT_EQ(credentials.error().message,
            "credential_process exited with status 3: token expired, run sso login");
}

TEST_F(CredentialProcessTest, BadOutputAndMissingCommand) {
  std::string path = script("bad.sh", "echo 'not json'\n");
  auto bad = credential_process_blocking(path, milliseconds(5000));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a JSON object"), std::string::npos);
  auto missing = credential_process_blocking((dir_ / "does-not-exist").string(), milliseconds(5000));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("status 127"), std::string::npos);
}

TEST_F(CredentialProcessTest, AHangingProcessIsKilledAtTheTimeout) {
  std::string path = script("hang.sh", "exec sleep 30\n");
  auto started = std::chrono::steady_clock::now();
  auto credentials = credential_process_blocking(path, milliseconds(300));
  ASSERT_FALSE(credentials);
  EXPECT_NE(credentials.error().message.find("timed out"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace batchgate::aws
