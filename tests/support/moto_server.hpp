#pragma once

// A real moto_server for integration tests, with SigV4 verification switched on (spec: TOOLCHAIN.md):
// started on a free port, an IAM user + access key created through the first unauthenticated calls,
// killed by the destructor. Reusable by every test that needs S3 (or STS/IAM) stand-ins.

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/child_process.hpp"

namespace batchgate::test {

class MotoServer {
 public:
  MotoServer();
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  // False when moto could not be started or set up; error() says why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::uint16_t port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string region() const { return "us-east-1"; }
  // Credentials moto accepts; any other secret gets SignatureDoesNotMatch.
  const std::string& access_key_id() const { return access_key_id_; }
  const std::string& secret_access_key() const { return secret_access_key_; }

  // Creates a bucket with boto3 (so the fixture does not depend on the client under test).
  bool create_bucket(const std::string& name) const;

  struct TemporaryCredentials {
    std::string access_key_id;  // "ASIA..."
    std::string secret_access_key;
    std::string session_token;  // moto checks it: a wrong token gets InvalidToken
  };
  // Creates IAM role `role_name` (allow-all) and assumes it through moto's STS. Empty access key on failure.
  TemporaryCredentials assume_role(const std::string& role_name) const;

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  std::string access_key_id_;
  std::string secret_access_key_;
  std::string log_path_;
  std::string error_;
};

}  // namespace batchgate::test
