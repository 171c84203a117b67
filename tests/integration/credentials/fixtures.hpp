#pragma once

// Shared pieces of the credential chain integration tests: a scripted environment, a temporary HOME, the
// metadata stand-in (metadata_server.py) and a way to run one coroutine.

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "server/aws/credentials.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/run_coroutine.hpp"

namespace batchgate::aws::testing {

namespace fs = std::filesystem;

inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A fresh directory used as HOME (no ~/.aws unless a test writes one); removed at the end.
class TempHome {
 public:
  explicit TempHome(const std::string& tag) {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("batchgate-cred-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path_ / ".aws");
  }
  ~TempHome() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string write(const std::string& relative, const std::string& text, bool executable = false) const {
    fs::path file = path_ / relative;
    std::ofstream(file) << text;
    if (executable) fs::permissions(file, fs::perms::owner_all);
    return file.string();
  }

 private:
  fs::path path_;
};

// Waits until `path` exists and holds a port number; 0 on timeout.
inline std::uint16_t read_port_file(const std::string& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    int port = 0;
    if (in >> port && port > 0) return static_cast<std::uint16_t>(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// metadata_server.py: IMDSv2, container endpoint and AssumeRoleWithWebIdentity stand-ins. It binds port 0
// and reports the port it got, so parallel tests never race for a port.
class MetadataServer {
 public:
  MetadataServer() {
    static int counter = 0;
    std::string port_file = (fs::temp_directory_path() / ("batchgate-metadata-" + std::to_string(::getpid()) +
                                                          "-" + std::to_string(++counter) + ".port"))
                                .string();
    process_ = std::make_unique<test::ChildProcess>(std::vector<std::string>{
        "python3", std::string(BATCHGATE_SOURCE_DIR) + "/tests/integration/credentials/metadata_server.py",
        "0", port_file});
    port_ = read_port_file(port_file, std::chrono::seconds(10));
    fs::remove(port_file);
  }
  bool ready() const { return port_ != 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Blocking control calls through Python's urllib (keeps the fixture independent of the client under test).
  int count(const std::string& name) const {
    auto [status, out] =
        test::run_command(python("print(urlopen('" + url() + "/count/" + name + "').read().decode())"));
    return status == 0 ? std::stoi(out) : -1;
  }
  void set_mode(const std::string& mode) const {
    test::run_command(python("urlopen('" + url() + "/control?mode=" + mode + "', data=b'')"));
  }

 private:
  static std::string python(const std::string& statement) {
    return "python3 -c \"from urllib.request import urlopen; " + statement + "\"";
  }

  std::unique_ptr<test::ChildProcess> process_;
  std::uint16_t port_ = 0;
};

// Options every test starts from: no real environment, IMDS off, an empty HOME, a controllable clock.
struct TestClock {
  SystemTime now = std::chrono::system_clock::now();
  Clock clock() {
    return [this] { return now; };
  }
};

inline CredentialsOptions base_options(std::map<std::string, std::string> vars, const TempHome& home,
                                       TestClock& clock) {
  CredentialsOptions options;
  options.environment = env_of(std::move(vars));
  options.home_directory = home.path();
  options.clock = clock.clock();
  options.sts_retry.random = [] { return 0.0; };
  return options;
}

template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  return test::run_coroutine(io, std::move(task));
}

}  // namespace batchgate::aws::testing
