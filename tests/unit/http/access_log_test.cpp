#include "server/http/access_log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <string>

namespace batchgate::http {
namespace {

std::string read_available(int fd) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, std::size_t(n));
  }
}

TEST(AccessLog, LinesLeaveInBatchesOrWhenFlushed) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  ASSERT_GT(::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20), 0);
  install_access_logger(fds[1]);
  auto logger = spdlog::get("access");
  ASSERT_TRUE(logger);

  for (int i = 0; i < 10; ++i) logger->info("line {}", i);
  EXPECT_EQ(read_available(fds[0]), "");  // nothing written yet: no system call per line
  logger->flush();
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(read_available(fds[0]), expected);

  const std::string long_line(1000, 'a');
  for (int i = 0; i < 70; ++i) logger->info("{}", long_line);  // past 64 KiB: written without a flush
  const std::string batch = read_available(fds[0]);
  EXPECT_GE(batch.size(), std::size_t(64 << 10));
  EXPECT_LT(batch.size(), std::size_t(70 * 1001));
  logger->warn("{}", "urgent");  // warnings are flushed at once, with what waited before them
  EXPECT_EQ(batch.size() + read_available(fds[0]).size(), std::size_t(70 * 1001 + 7));

  spdlog::drop("access");
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace batchgate::http
