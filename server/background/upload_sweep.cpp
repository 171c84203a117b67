#include "server/background/upload_sweep.hpp"

#include <spdlog/spdlog.h>

#include <set>
#include <string>
#include <utility>

#include "server/batch/object_layout.hpp"
#include "server/common/periodic_loop.hpp"

namespace batchgate::background {

namespace asio = boost::asio;
using asio::awaitable;

struct UploadSweep::Impl {
  Impl(batch::CoreDeps d, std::chrono::seconds a) : deps(std::move(d)), age(a) {}

  batch::CoreDeps deps;
  std::chrono::seconds age;
  std::unique_ptr<PeriodicLoop> loop;

  awaitable<std::size_t> sweep() {
    const std::int64_t before = deps.clock.now_seconds() - age.count();
    std::size_t aborted = 0;
    std::set<std::pair<std::string, std::string>> done;  // models may share a bucket and prefix
    for (const config::Model& model : deps.settings.models) {
      if (!model.is_batch()) continue;
      for (const aws::S3Location& folder : batch::object_folders(model)) {
        if (!done.emplace(folder.bucket, folder.key).second) continue;
        if (loop && loop->stopping()) co_return aborted;
        auto result = co_await deps.objects(model).abort_stale_uploads(folder, before, batch::is_bedrock_output);
        if (!result) {
          spdlog::warn("uploads: listing open uploads under s3://{}/{} failed: {}", folder.bucket, folder.key,
                       result.error().to_string());
          continue;
        }
        if (*result > 0)
          spdlog::info("uploads: aborted {} multipart upload(s) left open under s3://{}/{}", *result,
                       folder.bucket, folder.key);
        aborted += *result;
      }
    }
    co_return aborted;
  }
};

UploadSweep::UploadSweep(batch::CoreDeps deps, std::chrono::seconds interval, std::chrono::seconds age)
    : impl_(std::make_shared<Impl>(std::move(deps), age)) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop = std::make_unique<PeriodicLoop>(
      "uploads", std::chrono::duration_cast<std::chrono::milliseconds>(interval), [weak]() -> awaitable<bool> {
        auto impl = weak.lock();
        if (!impl) co_return false;
        co_await impl->sweep();
        co_return false;
      });
}

UploadSweep::~UploadSweep() {
  stop();
}

void UploadSweep::start(asio::any_io_executor executor) {
  impl_->loop->start(executor);
}
void UploadSweep::stop() {
  impl_->loop->stop();
}
awaitable<std::size_t> UploadSweep::sweep() {
  return impl_->sweep();
}

}  // namespace batchgate::background
