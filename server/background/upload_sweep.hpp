#pragma once
// Multipart uploads a crash left open (an upload or a collection killed mid-object) are aborted by a
// background sweep: at start and then every `interval`, each model's object folders (object_layout.hpp) are
// listed and the uploads started more than `age` ago are aborted. Bedrock's own output folders are left alone.
// An S3 lifecycle rule (AbortIncompleteMultipartUpload) does the same on AWS's side; README.md shows one.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "server/batch/batch_core.hpp"

namespace batchgate::background {

class UploadSweep {
 public:
  UploadSweep(batch::CoreDeps deps, std::chrono::seconds interval, std::chrono::seconds age);
  ~UploadSweep();

  void start(boost::asio::any_io_executor executor);
  void stop();

  // One round over every model's folders; → how many uploads were aborted.
  boost::asio::awaitable<std::size_t> sweep();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace batchgate::background
