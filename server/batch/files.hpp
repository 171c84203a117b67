#pragma once
// The batch core's files: taking in an uploaded batch input file (file_ingest.hpp) and removing a file —
// its row, then its objects — for DELETE /v1/files and the expiry sweep alike.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <optional>
#include <string_view>

#include "config/settings.hpp"
#include "server/batch/batch_core.hpp"
#include "server/batch/principal.hpp"
#include "server/common/api_error.hpp"
#include "server/common/clock.hpp"
#include "server/common/ids.hpp"
#include "storage/store.hpp"

namespace batchgate::batch {

class FileIngest;

class Files {
 public:
  explicit Files(CoreDeps deps) : d_(std::move(deps)) {}

  // A new upload by `who` (checked against their budget by the caller of ingest).
  std::unique_ptr<FileIngest> ingest(const Principal& who) const;

  // Deletes the row, then the objects (a failure there leaves only unreachable objects, never a row
  // without data). kConflict while a running batch uses the file; kNotFound when it is already gone.
  boost::asio::awaitable<storage::Result<void>> remove(const storage::FileRecord& file,
                                                       std::string_view context) const;
  // Deletes the file's objects (its content and, for batch input files, the Bedrock records). Failures are
  // logged with `context` (a request id, or "expiry") and left behind.
  boost::asio::awaitable<void> remove_objects(const storage::FileRecord& file,
                                              std::string_view context) const;

  const CoreDeps& deps() const { return d_; }

 private:
  CoreDeps d_;
};

}  // namespace batchgate::batch
