#pragma once
// Where the batch core keeps objects (input files, translated records, output files): S3 in production
// (s3_object_store.hpp), in memory in tests. Failures are values carrying S3's error code ("NoSuchKey", …).

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/aws/s3_protocol.hpp"
#include "server/aws/s3_uri.hpp"

namespace batchgate::batch {

template <class T>
using ObjectResult = boost::system::result<T, aws::S3Error>;

// Receives an object's bytes as they arrive; false stops the transfer.
using ObjectSink = std::function<boost::asio::awaitable<bool>(std::string_view chunk)>;

// Streams bytes into one object. Memory stays bounded by the part size whatever the object's size. A
// failure, or abort(), leaves nothing behind. Call finish() or abort() before destruction.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // `bytes` must stay valid until the returned awaitable completes.
  virtual boost::asio::awaitable<ObjectResult<void>> write(std::string_view bytes) = 0;
  // The object exists once this succeeds.
  virtual boost::asio::awaitable<ObjectResult<void>> finish() = 0;
  virtual boost::asio::awaitable<ObjectResult<void>> abort() = 0;
  virtual std::uint64_t bytes_written() const = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // `part_size` is a hint (S3: ≥ 5 MiB multipart parts).
  virtual std::unique_ptr<ObjectWriter> writer(aws::S3Location where, std::size_t part_size,
                                               std::string content_type) = 0;
  // Streams the object to `sink`. A missing object → S3Error{404, "NoSuchKey"}.
  virtual boost::asio::awaitable<ObjectResult<void>> read(aws::S3Location where, ObjectSink sink) = 0;
  // A small object whole (manifests).
  virtual boost::asio::awaitable<ObjectResult<std::string>> read_small(aws::S3Location where) = 0;
  // Deleting a missing object succeeds.
  virtual boost::asio::awaitable<ObjectResult<void>> remove(aws::S3Location where) = 0;
  // The keys of every object under `folder` (a key prefix), all pages, in S3's (lexicographic) order.
  virtual boost::asio::awaitable<ObjectResult<std::vector<std::string>>> list(aws::S3Location folder) = 0;
  // Aborts the multipart uploads under `folder` (a key prefix) started before `started_before` (seconds since
  // the epoch) and still open — what a crash mid-upload leaves behind. `keep` names keys to leave alone.
  // → how many were aborted.
  virtual boost::asio::awaitable<ObjectResult<std::size_t>> abort_stale_uploads(
      aws::S3Location folder, std::int64_t started_before, std::function<bool(std::string_view key)> keep) = 0;
};

}  // namespace batchgate::batch
