#include "tests/support/emulator_process.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
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

EmulatorProcess::EmulatorProcess(std::vector<std::string> flags, const std::string& log_name) {
  static std::atomic<int> started{0};
  const std::string log = "/tmp/batchgate-bedrock-emulator-" + std::to_string(getpid()) + "-" + log_name +
                          "-" + std::to_string(++started) + ".log";
  std::vector<std::string> argv{
      std::string(BATCHGATE_BINARY_DIR) + "/deploy/bedrock-emulator/bedrock-emulator", "--port", "0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  child_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, log);
  port_ = announced_port(log, std::chrono::seconds(10));
  if (!child_->started() || port_ == 0 || !wait_for_port(port_, std::chrono::seconds(5))) {
    error_ = "bedrock-emulator did not start; see " + log;
  }
}

}  // namespace batchgate::test
