#pragma once

// A bedrock-emulator child process (deploy/bedrock-emulator) for tests: started with `--port 0` plus the
// given flags, so parallel tests never race for a port; its port is the one it announces on its first line.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace batchgate::test {

class EmulatorProcess {
 public:
  // `flags` follow `--port 0` on the command line; output goes to a log under /tmp named after `log_name`
  // (and the process id).
  EmulatorProcess(std::vector<std::string> flags, const std::string& log_name);

  // False when the emulator did not start or announce its port; error() says why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::uint16_t port_ = 0;
  std::string error_;
};

}  // namespace batchgate::test
