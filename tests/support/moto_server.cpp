#include "tests/support/moto_server.hpp"

#include <cstdio>
#include <sstream>

namespace batchgate::test {
namespace {

std::string admin_script() {
  return std::string(BATCHGATE_SUPPORT_DIR) + "/moto_admin.py";
}

}  // namespace

MotoServer::MotoServer() {
  port_ = free_port();
  log_path_ = "/tmp/batchgate-moto-" + std::to_string(port_) + ".log";
  const std::string& log = log_path_;
  // Three unauthenticated calls for the IAM set-up in moto_admin.py; everything after is SigV4-checked.
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port_)},
      std::vector<std::string>{"INITIAL_NO_AUTH_ACTION_COUNT=3"}, log);
  if (!process_->started()) {
    error_ = "could not start moto_server (is it on PATH?)";
    return;
  }
  if (!wait_for_port(port_, std::chrono::seconds(20))) {
    error_ = "moto_server did not listen on port " + std::to_string(port_) + "; see " + log;
    return;
  }
  auto [status, output] = run_command("python3 " + admin_script() + " setup " + std::to_string(port_));
  std::istringstream words(output);
  words >> access_key_id_ >> secret_access_key_;
  if (status != 0 || secret_access_key_.empty()) error_ = "IAM set-up against moto failed: " + output;
}

MotoServer::~MotoServer() {
  process_.reset();
  // The log is kept when set-up failed: it is what explains the failure.
  if (ok()) std::remove(log_path_.c_str());
}

bool MotoServer::create_bucket(const std::string& name) const {
  auto [status, output] =
      run_command("python3 " + admin_script() + " create-bucket " + std::to_string(port_) + " '" +
                  access_key_id_ + "' '" + secret_access_key_ + "' '" + name + "'");
  return status == 0;
}

MotoServer::TemporaryCredentials MotoServer::assume_role(const std::string& role_name) const {
  auto [status, output] =
      run_command("python3 " + admin_script() + " assume-role " + std::to_string(port_) + " '" +
                  access_key_id_ + "' '" + secret_access_key_ + "' '" + role_name + "'");
  TemporaryCredentials credentials;
  if (status != 0) return credentials;
  std::istringstream words(output);
  words >> credentials.access_key_id >> credentials.secret_access_key >> credentials.session_token;
  return credentials;
}

}  // namespace batchgate::test
