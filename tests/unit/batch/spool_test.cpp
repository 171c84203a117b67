// Spool: an upload's bytes kept while its target model is unknown — memory first, then an unlinked 0600
// file in the spool directory; nothing left behind whatever happens.
#include "server/batch/spool.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_coroutine.hpp"

namespace batchgate::batch {
namespace {

namespace fs = std::filesystem;
using test::run_coroutine;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("batchgate-spool-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::optional<ApiError> append(Spool& spool, std::string_view data) {
    return run_coroutine(io_, spool.append(data));
  }
  std::string read_all(Spool& spool) {
    std::string out;
    for (;;) {
      auto got = run_coroutine(io_, spool.read(out.size(), 300'000));
      if (auto* e = std::get_if<ApiError>(&got)) {
        ADD_FAILURE() << e->detail;
        return out;
      }
      if (std::get<std::string>(got).empty()) return out;
      out += std::get<std::string>(got);
    }
  }
  void clear(Spool& spool) {
    run_coroutine(io_, [](Spool& s) -> boost::asio::awaitable<bool> {
      co_await s.clear();
      co_return true;
    }(spool));
  }
  // The descriptors of this process that point into the spool directory (unlinked files show as "…
  // (deleted)").
  std::vector<std::string> open_spool_files() const {
    std::vector<std::string> out;
    for (const auto& fd : fs::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      const std::string target = fs::read_symlink(fd.path(), ec).string();
      if (!ec && target.rfind(dir_.string() + "/", 0) == 0)
        out.push_back(fd.path().string() + " -> " + target);
    }
    return out;
  }
  bool dir_empty() const { return fs::is_empty(dir_); }

  fs::path dir_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
};

std::string bytes_of(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = char('a' + (i * 7 + i / 1000) % 26);
  return s;
}

TEST_F(SpoolTest, SmallContentStaysInMemory) {
  Spool spool(pool_, dir_.string());
  ASSERT_FALSE(append(spool, "{\"custom_id\":\"a\"}\n"));
  ASSERT_FALSE(append(spool, "{\"custom_id\":\"b\"}\n"));
  EXPECT_FALSE(spool.on_disk());
  EXPECT_EQ(spool.size(), 36u);
  EXPECT_EQ(read_all(spool), "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n");
  EXPECT_TRUE(dir_empty());
  EXPECT_TRUE(open_spool_files().empty());
}

TEST_F(SpoolTest, LargeContentGoesToAnUnlinkedPrivateFileAndReadsBackInOrder) {
  const std::string content = bytes_of(3 * Spool::kMemoryBytes + 12345);
  Spool spool(pool_, dir_.string());
  for (std::size_t at = 0; at < content.size(); at += 64 << 10)
    ASSERT_FALSE(append(spool, std::string_view(content).substr(at, 64 << 10)));
  EXPECT_TRUE(spool.on_disk());
  EXPECT_EQ(spool.size(), content.size());
  // Unlinked at once: the directory stays empty while the descriptor holds the data.
  EXPECT_TRUE(dir_empty());
  const auto open = open_spool_files();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].find("(deleted)"), std::string::npos) << open[0];
  struct stat st {};
  ASSERT_EQ(::stat(open[0].substr(0, open[0].find(" -> ")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // At most the last kMemoryBytes wait in memory; the rest is in the file.
  EXPECT_GE(std::uint64_t(st.st_size), content.size() - Spool::kMemoryBytes);
  EXPECT_TRUE(read_all(spool) == content);
  clear(spool);
  EXPECT_EQ(spool.size(), 0u);
  EXPECT_FALSE(spool.on_disk());
  EXPECT_TRUE(open_spool_files().empty()) << "clear() closes the file";
}

TEST_F(SpoolTest, DestroyingWithoutClearStillClosesTheFile) {
  {
    Spool spool(pool_, dir_.string());
    ASSERT_FALSE(append(spool, bytes_of(2 * Spool::kMemoryBytes)));
    ASSERT_EQ(open_spool_files().size(), 1u);
  }
  pool_.join();  // the close was handed to the blocking pool
  EXPECT_TRUE(open_spool_files().empty());
  EXPECT_TRUE(dir_empty());
}

TEST_F(SpoolTest, AnUnusableDirectoryIsA503NamingNoPath) {
  Spool spool(pool_, (dir_ / "missing").string());
  ASSERT_FALSE(append(spool, "small"));  // memory only: nothing touched the directory yet
  auto err = append(spool, bytes_of(Spool::kMemoryBytes));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, ErrorKind::kUnavailable);
  EXPECT_EQ(err->code, "spool_unavailable");
  EXPECT_EQ(err->message.find(dir_.string()), std::string::npos) << "no server path in the client's message";
  EXPECT_NE(err->detail.find((dir_ / "missing").string()), std::string::npos) << err->detail;
  EXPECT_NE(err->message.find("target_model_names before the file part"), std::string::npos) << err->message;
}

}  // namespace
}  // namespace batchgate::batch
