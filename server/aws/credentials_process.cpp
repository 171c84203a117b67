#include "server/aws/credentials_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace batchgate::aws {
namespace {

constexpr std::size_t kMaxStdout = 1 << 20;
constexpr std::size_t kMaxStderr = 512;

struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

// Reads both pipes until they close or the deadline passes. False on timeout.
bool drain(Pipe& out_pipe, Pipe& err_pipe, ProcessOutput& output,
           std::chrono::steady_clock::time_point deadline) {
  std::array<pollfd, 2> fds{pollfd{out_pipe.read, POLLIN, 0}, pollfd{err_pipe.read, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&output.out, &output.err};
  std::array<std::size_t, 2> limits{kMaxStdout, kMaxStderr};
  char buffer[4096];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return false;  // deadline passed
    if (ready < 0) return true;    // poll failed: stop reading and judge what arrived
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      std::size_t room = limits[i] > sinks[i]->size() ? limits[i] - sinks[i]->size() : 0;
      sinks[i]->append(buffer, std::min(room, static_cast<std::size_t>(n)));
    }
  }
  return true;
}

}  // namespace

CredentialsResult<ProcessOutput> run_process_blocking(const std::string& command,
                                                      std::chrono::milliseconds timeout) {
  Pipe out_pipe;
  Pipe err_pipe;
  if (!out_pipe.open() || !err_pipe.open()) return credentials_error("could not create pipes");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.write, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string shell = "/bin/sh";
  std::string flag = "-c";
  std::string text = command;
  char* argv[] = {shell.data(), flag.data(), text.data(), nullptr};
  pid_t pid = -1;
  int spawned = ::posix_spawn(&pid, shell.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    return credentials_error(std::string("could not start /bin/sh: ") + std::strerror(spawned));
  out_pipe.close_write();
  err_pipe.close_write();

  ProcessOutput output;
  const bool finished = drain(out_pipe, err_pipe, output, std::chrono::steady_clock::now() + timeout);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) {
    return credentials_error("timed out after " + std::to_string(timeout.count()) + " ms");
  }
  output.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

CredentialsResult<TimedCredentials> credential_process_blocking(const std::string& command,
                                                                std::chrono::milliseconds timeout) {
  auto output = run_process_blocking(command, timeout);
  if (!output) return credentials_error("credential_process: " + output.error().message);
  if (output->exit_status != 0) {
    std::string message = "credential_process exited with status " + std::to_string(output->exit_status);
    if (!output->err.empty()) message += ": " + output->err;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    return credentials_error(std::move(message));
  }
  return parse_process_credentials(output->out);
}

}  // namespace batchgate::aws
