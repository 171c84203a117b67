#include "server/api/file_expiry.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "server/api/backends.hpp"
#include "server/api/context.hpp"
#include "server/http/blocking.hpp"

namespace batchgate::api {

namespace asio = boost::asio;
using asio::awaitable;

// Files deleted per round; a longer backlog is worked off round after round without a pause.
constexpr std::int64_t kSweepBatch = 500;

awaitable<void> delete_file_objects(AppContext& app, const storage::FileRecord& file,
                                    std::string_view context) {
  const config::Model* model = app.settings.find_model(file.model);
  if (model == nullptr) {
    spdlog::warn("{}: file {} belongs to model '{}', which is no longer configured; its S3 objects are left",
                 context, file.id, file.model);
    co_return;
  }
  const std::array<std::string, 2> uris = {file.content_s3_uri, file.bedrock_s3_uri};
  for (const std::string& uri : uris) {
    std::string bucket, key;
    if (!parse_s3_uri(uri, bucket, key)) continue;
    auto deleted = co_await app.backends->s3(*model).delete_object(bucket, key);
    if (deleted.has_error())
      spdlog::warn("{}: deleting {} failed: {}", context, uri, deleted.error().to_string());
  }
}

struct FileExpiry::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(AppContext& a) : app(a) {}

  AppContext& app;
  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::unique_ptr<asio::steady_timer> timer;
  bool stopping = false;

  // One round: returns how many files were due, so a full round is followed by another at once.
  awaitable<std::size_t> sweep() {
    const std::int64_t now = app.clock.now_seconds();
    auto due =
        co_await http::run_blocking(app.blocking, [&] { return app.store.expired_files(now, kSweepBatch); });
    if (due.has_error()) {
      spdlog::error("expiry: reading expired files failed: {}", due.error().message);
      co_return 0;
    }
    for (const storage::FileRecord& file : *due) {
      if (stopping) break;
      auto deleted =
          co_await http::run_blocking(app.blocking, [&] { return app.store.delete_file(file.id); });
      if (deleted.has_error()) {
        // kConflict: a batch started on it in the meantime; kNotFound: deleted by its owner meanwhile.
        if (deleted.error().code != storage::ErrorCode::kNotFound)
          spdlog::info("expiry: file {} kept for now: {}", file.id, deleted.error().message);
        continue;
      }
      co_await delete_file_objects(app, file, "expiry");
      spdlog::info("expiry: deleted file {} (expired at {})", file.id, file.expires_at.value_or(0));
    }
    co_return due->size();
  }

  awaitable<void> loop() {
    auto self = shared_from_this();
    while (!stopping) {
      std::size_t due = 0;
      try {
        due = co_await sweep();
      } catch (const std::exception& e) {
        spdlog::error("expiry: {}", e.what());
      }
      if (stopping) break;
      if (due >= std::size_t(kSweepBatch)) continue;
      timer->expires_after(app.settings.server.expired_file_sweep);
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

FileExpiry::FileExpiry(AppContext& app) : impl_(std::make_shared<Impl>(app)) {}
FileExpiry::~FileExpiry() = default;

void FileExpiry::start(asio::any_io_executor executor) {
  impl_->strand.emplace(asio::make_strand(executor));
  impl_->timer = std::make_unique<asio::steady_timer>(*impl_->strand);
  asio::co_spawn(*impl_->strand, impl_->loop(), asio::detached);
}

void FileExpiry::stop() {
  if (!impl_->strand) return;
  asio::post(*impl_->strand, [impl = impl_] {
    impl->stopping = true;
    if (impl->timer) impl->timer->cancel();
  });
}

}  // namespace batchgate::api
