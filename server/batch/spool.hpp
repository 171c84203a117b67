#pragma once
// The bytes of an upload kept until its target model is known: target_model_names may arrive after the file
// part (the OpenAI Node SDK sends extra form fields last), and the model decides both the bucket and the
// translation. Memory stays flat: up to kMemoryBytes wait in memory, the rest goes to a temporary file in
// the spool directory (batchgate_settings.spool_dir). The file is created with O_EXCL and mode 0600 and
// unlinked at once, so nothing is left in the directory whatever happens (success, refusal, client gone,
// exception, crash); its descriptor is closed by clear() or, failing that, by the destructor. All file I/O
// runs on the blocking pool, never on the I/O threads.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "server/common/api_error.hpp"

namespace batchgate::batch {

class Spool {
 public:
  static constexpr std::size_t kMemoryBytes = 1 << 20;

  Spool(boost::asio::thread_pool& blocking, std::string directory);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Keeps `data` after what came before. A file error (disk full, directory gone) is a 503 naming no path;
  // the path and the system's reason go to the log.
  boost::asio::awaitable<std::optional<ApiError>> append(std::string_view data);
  // Up to `max` bytes from `offset`; empty at the end.
  boost::asio::awaitable<std::variant<std::string, ApiError>> read(std::uint64_t offset, std::size_t max);
  // Forgets everything and closes the file.
  boost::asio::awaitable<void> clear();

  std::uint64_t size() const { return file_bytes_ + memory_.size(); }
  bool on_disk() const { return fd_ >= 0; }

 private:
  boost::asio::awaitable<std::optional<ApiError>> spill();
  ApiError failed(const std::string& what, int error) const;

  boost::asio::thread_pool& blocking_;
  std::string directory_;
  int fd_ = -1;
  std::uint64_t file_bytes_ = 0;  // the first bytes, in the file
  std::string memory_;            // the bytes after them, not written yet
};

}  // namespace batchgate::batch
