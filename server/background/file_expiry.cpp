#include "server/background/file_expiry.hpp"

#include <spdlog/spdlog.h>

#include "server/common/blocking.hpp"
#include "server/common/periodic_loop.hpp"

namespace batchgate::background {

namespace asio = boost::asio;
using asio::awaitable;

// Files deleted per round; a longer backlog is worked off round after round without a pause.
constexpr std::int64_t kSweepBatch = 500;

struct FileExpiry::Impl {
  Impl(storage::Store& s, asio::thread_pool& b, const Clock& c, const batch::Files& f)
      : store(s), blocking(b), clock(c), files(f) {}

  storage::Store& store;
  asio::thread_pool& blocking;
  const Clock& clock;
  const batch::Files& files;
  std::unique_ptr<PeriodicLoop> loop;

  awaitable<std::size_t> sweep() {
    const std::int64_t now = clock.now_seconds();
    auto due = co_await run_blocking(blocking, [&] { return store.expired_files(now, kSweepBatch); });
    if (due.has_error()) {
      spdlog::error("expiry: reading expired files failed: {}", due.error().message);
      co_return 0;
    }
    for (const storage::FileRecord& file : *due) {
      if (loop && loop->stopping()) break;
      auto removed = co_await files.remove(file, "expiry");
      if (removed.has_error()) {
        // kConflict: a batch started on it in the meantime; kNotFound: deleted by its owner meanwhile.
        if (removed.error().code != storage::ErrorCode::kNotFound)
          spdlog::info("expiry: file {} kept for now: {}", file.id, removed.error().message);
        continue;
      }
      spdlog::info("expiry: deleted file {} (expired at {})", file.id, file.expires_at.value_or(0));
    }
    co_return due->size();
  }
};

FileExpiry::FileExpiry(storage::Store& store, asio::thread_pool& blocking, const Clock& clock,
                       const batch::Files& files, std::chrono::milliseconds interval)
    : impl_(std::make_shared<Impl>(store, blocking, clock, files)) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop = std::make_unique<PeriodicLoop>("expiry", interval, [weak]() -> awaitable<bool> {
    auto impl = weak.lock();
    if (!impl) co_return false;
    const std::size_t due = co_await impl->sweep();
    co_return due >= std::size_t(kSweepBatch);
  });
}

FileExpiry::~FileExpiry() {
  stop();
}

void FileExpiry::start(asio::any_io_executor executor) {
  impl_->loop->start(executor);
}
void FileExpiry::stop() {
  impl_->loop->stop();
}
awaitable<std::size_t> FileExpiry::sweep() {
  return impl_->sweep();
}

}  // namespace batchgate::background
