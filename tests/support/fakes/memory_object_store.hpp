#pragma once
// An ObjectStore in memory for unit tests: objects appear only when a writer finishes, writers still open
// are counted (an open writer is what an unfinished S3 multipart upload would be), and any operation can be
// made to fail the next N times.

#include <map>
#include <mutex>
#include <string>

#include "server/batch/object_store.hpp"

namespace batchgate::test {

class MemoryObjectStore final : public batch::ObjectStore {
 public:
  enum class Op { kWrite, kFinish, kRead, kRemove, kList };

  std::unique_ptr<batch::ObjectWriter> writer(aws::S3Location where, std::size_t part_size,
                                              std::string content_type) override;
  boost::asio::awaitable<batch::ObjectResult<void>> read(aws::S3Location where,
                                                         batch::ObjectSink sink) override;
  boost::asio::awaitable<batch::ObjectResult<std::string>> read_small(aws::S3Location where) override;
  boost::asio::awaitable<batch::ObjectResult<void>> remove(aws::S3Location where) override;
  boost::asio::awaitable<batch::ObjectResult<std::vector<std::string>>> list(aws::S3Location folder) override;
  // Writers here close with their owner (nothing in memory outlives a crash): there is never one to abort.
  boost::asio::awaitable<batch::ObjectResult<std::size_t>> abort_stale_uploads(
      aws::S3Location, std::int64_t, std::function<bool(std::string_view)>) override {
    co_return batch::ObjectResult<std::size_t>(boost::system::in_place_value, 0);
  }

  // The next `times` calls of `op` fail with a 503 SlowDown.
  void fail_next(Op op, int times = 1);
  void put(const aws::S3Location& where, std::string body);
  std::optional<std::string> get(const aws::S3Location& where) const;
  bool exists(const aws::S3Location& where) const { return get(where).has_value(); }
  std::size_t object_count() const;
  // Writers created and neither finished nor aborted.
  int open_writers() const { return open_writers_; }

 private:
  friend class MemoryWriter;
  bool take_failure(Op op);
  static std::string name(const aws::S3Location& where) { return where.bucket + "/" + where.key; }

  mutable std::mutex mutex_;
  std::map<std::string, std::string> objects_;
  std::map<Op, int> failures_;
  int open_writers_ = 0;
};

}  // namespace batchgate::test
