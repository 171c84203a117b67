#pragma once
// Files past their expires_at (set by expires_after on upload, or output_expires_after on a batch) are
// deleted by one background sweep every `interval`: the row first, then its objects, as DELETE /v1/files
// does. Until the sweep reaches a file, reads already answer 404 for it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "server/batch/files.hpp"
#include "server/common/clock.hpp"
#include "storage/store.hpp"

namespace batchgate::background {

class FileExpiry {
 public:
  FileExpiry(storage::Store& store, boost::asio::thread_pool& blocking, const Clock& clock,
             const batch::Files& files, std::chrono::milliseconds interval);
  ~FileExpiry();

  void start(boost::asio::any_io_executor executor);
  void stop();

  // One round: deletes up to a batch of due files; returns how many were due.
  boost::asio::awaitable<std::size_t> sweep();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace batchgate::background
