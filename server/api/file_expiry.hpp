#pragma once
// Files past their expires_at (set by expires_after on upload, or output_expires_after on a batch) are
// deleted by one background sweep every `expired_file_sweep`: the row first, then its S3 objects, as
// DELETE /v1/files does. Until the sweep reaches a file, reads already answer 404 for it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string_view>

#include "storage/records.hpp"

namespace batchgate::api {

struct AppContext;

// Deletes the file's S3 objects (its content and, for batch input files, the Bedrock translation). Failures
// are logged with `context` (a request id, or "expiry") and left behind: the row is already gone.
boost::asio::awaitable<void> delete_file_objects(AppContext& app, const storage::FileRecord& file,
                                                 std::string_view context);

class FileExpiry {
 public:
  explicit FileExpiry(AppContext& app);
  ~FileExpiry();

  void start(boost::asio::any_io_executor executor);
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace batchgate::api
