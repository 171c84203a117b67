#pragma once
// The ObjectStore of a model: its S3 client (region, endpoint, credentials, KMS key), multipart uploads.

#include "server/aws/s3_client.hpp"
#include "server/batch/object_store.hpp"

namespace batchgate::batch {

class S3ObjectStore final : public ObjectStore {
 public:
  explicit S3ObjectStore(aws::S3Client& s3) : s3_(s3) {}

  std::unique_ptr<ObjectWriter> writer(aws::S3Location where, std::size_t part_size,
                                       std::string content_type) override;
  boost::asio::awaitable<ObjectResult<void>> read(aws::S3Location where, ObjectSink sink) override;
  boost::asio::awaitable<ObjectResult<std::string>> read_small(aws::S3Location where) override;
  boost::asio::awaitable<ObjectResult<void>> remove(aws::S3Location where) override;
  boost::asio::awaitable<ObjectResult<std::vector<std::string>>> list(aws::S3Location folder) override;
  boost::asio::awaitable<ObjectResult<std::size_t>> abort_stale_uploads(
      aws::S3Location folder, std::int64_t started_before, std::function<bool(std::string_view key)> keep) override;

 private:
  aws::S3Client& s3_;
};

}  // namespace batchgate::batch
