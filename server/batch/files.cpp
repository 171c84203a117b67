#include "server/batch/files.hpp"

#include <spdlog/spdlog.h>

#include <array>

#include "server/batch/file_ingest.hpp"
#include "server/common/blocking.hpp"

namespace batchgate::batch {

using boost::asio::awaitable;

std::unique_ptr<FileIngest> Files::ingest(const Principal& who) const {
  return std::make_unique<FileIngest>(d_, who);
}

awaitable<storage::Result<void>> Files::remove(const storage::FileRecord& file,
                                               std::string_view context) const {
  auto deleted = co_await run_blocking(d_.blocking, [&] { return d_.store.delete_file(file.id); });
  if (deleted.has_error()) co_return deleted;
  co_await remove_objects(file, context);
  co_return deleted;
}

awaitable<void> Files::remove_objects(const storage::FileRecord& file, std::string_view context) const {
  const config::Model* model = d_.settings.find_model(file.model);
  if (model == nullptr) {
    spdlog::warn("{}: file {} belongs to model '{}', which is no longer configured; its S3 objects are left",
                 context, file.id, file.model);
    co_return;
  }
  const std::array<std::string, 2> uris = {file.content_s3_uri, file.bedrock_s3_uri};
  for (const std::string& uri : uris) {
    auto location = aws::parse_s3_uri(uri);
    if (!location || location->key.empty()) continue;
    auto deleted = co_await d_.objects(*model).remove(*location);
    if (deleted.has_error())
      spdlog::warn("{}: deleting {} failed: {}", context, uri, deleted.error().to_string());
  }
}

}  // namespace batchgate::batch
