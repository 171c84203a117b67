#pragma once

// Test helpers for starting real servers (moto_server, small Python servers) as child processes.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace batchgate::test {

// A child process started with posix_spawnp; stopped (SIGTERM, then SIGKILL) by the destructor.
class ChildProcess {
 public:
  // `env` entries ("NAME=value") are added to the current environment. Output goes to `log_path`
  // ("" → inherited).
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {}, std::string log_path = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() const;
  pid_t pid() const { return pid_; }
  void stop();

 private:
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

// True once something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

// Runs a command through /bin/sh and returns {exit status, stdout}.
std::pair<int, std::string> run_command(const std::string& command);

}  // namespace batchgate::test
