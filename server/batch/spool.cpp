#include "server/batch/spool.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>

#include "server/common/blocking.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;

struct Opened {
  int fd = -1;
  int error = 0;
};

// Blocks: a new file only this process can see (O_EXCL: never someone else's file; 0600: nobody else may read
// it), unlinked straight away so it cannot outlive the descriptor.
Opened open_unlinked_blocking(const std::string& directory) {
  std::random_device random;
  for (int attempt = 0; attempt < 8; ++attempt) {
    char name[64];
    std::snprintf(name, sizeof name, "/batchgate-spool-%08x%08x", random(), random());
    const std::string path = directory + name;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return {-1, errno};
    if (::unlink(path.c_str()) != 0) {
      const int error = errno;
      ::close(fd);
      return {-1, error};
    }
    return {fd, 0};
  }
  return {-1, EEXIST};
}

// Blocks: writes all of `data` at `offset`; 0 or the errno.
int write_all_blocking(int fd, std::string_view data, std::uint64_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    data.remove_prefix(std::size_t(n));
    offset += std::uint64_t(n);
  }
  return 0;
}

struct ReadResult {
  std::string bytes;
  int error = 0;
};

// Blocks: up to `max` bytes at `offset`.
ReadResult read_blocking(int fd, std::uint64_t offset, std::size_t max) {
  ReadResult out;
  out.bytes.resize(max);
  std::size_t got = 0;
  while (got < max) {
    const ssize_t n = ::pread(fd, out.bytes.data() + got, max - got, off_t(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {{}, errno};
    if (n == 0) break;
    got += std::size_t(n);
  }
  out.bytes.resize(got);
  return out;
}

}  // namespace

Spool::Spool(boost::asio::thread_pool& blocking, std::string directory)
    : blocking_(blocking), directory_(std::move(directory)) {}

Spool::~Spool() {
  if (fd_ < 0) return;
  // Closing frees the file's blocks, which may take a while for a large one: not on this (an I/O) thread.
  boost::asio::post(blocking_, [fd = fd_] { ::close(fd); });
}

ApiError Spool::failed(const std::string& what, int error) const {
  ApiError e{
      ErrorKind::kUnavailable,
      "The gateway could not keep this upload while waiting for target_model_names; try again, or send "
      "target_model_names before the file part.",
      {},
      "spool_unavailable"};
  e.detail = what + " in spool directory '" + directory_ + "': " + std::strerror(error);
  return e;
}

awaitable<std::optional<ApiError>> Spool::append(std::string_view data) {
  memory_.append(data);
  if (memory_.size() < kMemoryBytes) co_return std::nullopt;
  co_return co_await spill();
}

// Moves what waits in memory to the end of the file, creating the file the first time.
awaitable<std::optional<ApiError>> Spool::spill() {
  if (fd_ < 0) {
    // Only trivially destructible captures: g++ 12 destroys a lambda temporary inside a co_await expression
    // twice (GCC PR 101367), which a captured std::string does not survive.
    const Opened opened =
        co_await run_blocking(blocking_, [dir = directory_.c_str()] { return open_unlinked_blocking(dir); });
    if (opened.fd < 0) co_return failed("creating a file", opened.error);
    fd_ = opened.fd;
  }
  const int error =
      co_await run_blocking(blocking_, [fd = fd_, data = std::string_view(memory_), at = file_bytes_] {
        return write_all_blocking(fd, data, at);
      });
  if (error != 0) co_return failed("writing", error);
  file_bytes_ += memory_.size();
  memory_.clear();
  co_return std::nullopt;
}

awaitable<std::variant<std::string, ApiError>> Spool::read(std::uint64_t offset, std::size_t max) {
  if (offset >= file_bytes_) {
    const std::uint64_t at = offset - file_bytes_;
    if (at >= memory_.size()) co_return std::string();
    co_return memory_.substr(std::size_t(at), max);
  }
  const std::size_t n = std::size_t(std::min<std::uint64_t>(max, file_bytes_ - offset));
  ReadResult got =
      co_await run_blocking(blocking_, [fd = fd_, offset, n] { return read_blocking(fd, offset, n); });
  if (got.error != 0) co_return failed("reading", got.error);
  if (got.bytes.size() != n) co_return failed("reading (the file is shorter than written)", EIO);
  co_return std::move(got.bytes);
}

awaitable<void> Spool::clear() {
  memory_.clear();
  memory_.shrink_to_fit();
  file_bytes_ = 0;
  if (fd_ < 0) co_return;
  const int fd = std::exchange(fd_, -1);
  co_await run_blocking(blocking_, [fd] { return ::close(fd); });
}

}  // namespace batchgate::batch
