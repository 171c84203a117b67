#include "tests/support/fakes/memory_object_store.hpp"

namespace batchgate::test {

using boost::asio::awaitable;

namespace {
aws::S3Error injected() {
  return aws::S3Error{503, "SlowDown", "injected failure", {}};
}
}  // namespace

class MemoryWriter final : public batch::ObjectWriter {
 public:
  MemoryWriter(MemoryObjectStore& store, aws::S3Location where) : store_(store), where_(std::move(where)) {
    std::lock_guard lock(store_.mutex_);
    ++store_.open_writers_;
  }
  ~MemoryWriter() override { close(); }

  awaitable<batch::ObjectResult<void>> write(std::string_view bytes) override {
    if (closed_) co_return aws::S3Error{0, "UploaderClosed", "write after finish/abort", {}};
    if (store_.take_failure(MemoryObjectStore::Op::kWrite)) {
      close();  // as MultipartUploader: a failure aborts the upload
      co_return injected();
    }
    body_.append(bytes);
    co_return batch::ObjectResult<void>{};
  }
  awaitable<batch::ObjectResult<void>> finish() override {
    if (closed_) co_return aws::S3Error{0, "UploaderClosed", "finish after finish/abort", {}};
    close();
    if (store_.take_failure(MemoryObjectStore::Op::kFinish)) co_return injected();
    store_.put(where_, std::move(body_));
    co_return batch::ObjectResult<void>{};
  }
  awaitable<batch::ObjectResult<void>> abort() override {
    close();
    co_return batch::ObjectResult<void>{};
  }
  std::uint64_t bytes_written() const override { return body_.size(); }

 private:
  void close() {
    if (closed_) return;
    closed_ = true;
    std::lock_guard lock(store_.mutex_);
    --store_.open_writers_;
  }

  MemoryObjectStore& store_;
  aws::S3Location where_;
  std::string body_;
  bool closed_ = false;
};

std::unique_ptr<batch::ObjectWriter> MemoryObjectStore::writer(aws::S3Location where, std::size_t,
                                                               std::string) {
  return std::make_unique<MemoryWriter>(*this, std::move(where));
}

awaitable<batch::ObjectResult<void>> MemoryObjectStore::read(aws::S3Location where, batch::ObjectSink sink) {
  if (take_failure(Op::kRead)) co_return injected();
  auto body = get(where);
  if (!body) co_return aws::S3Error{404, "NoSuchKey", "The specified key does not exist.", {}};
  // Several chunks, as a download arrives.
  constexpr std::size_t kChunk = 1000;
  for (std::size_t at = 0; at < body->size(); at += kChunk) {
    if (!co_await sink(std::string_view(*body).substr(at, kChunk)))
      co_return aws::S3Error{0, "SinkAborted", "the consumer stopped the transfer", {}};
  }
  co_return batch::ObjectResult<void>{};
}

awaitable<batch::ObjectResult<std::string>> MemoryObjectStore::read_small(aws::S3Location where) {
  if (take_failure(Op::kRead)) co_return injected();
  auto body = get(where);
  if (!body) co_return aws::S3Error{404, "NoSuchKey", "The specified key does not exist.", {}};
  co_return std::move(*body);
}

awaitable<batch::ObjectResult<void>> MemoryObjectStore::remove(aws::S3Location where) {
  if (take_failure(Op::kRemove)) co_return injected();
  std::lock_guard lock(mutex_);
  objects_.erase(name(where));
  co_return batch::ObjectResult<void>{};
}

awaitable<batch::ObjectResult<std::vector<std::string>>> MemoryObjectStore::list(aws::S3Location folder) {
  if (take_failure(Op::kList)) co_return injected();
  std::lock_guard lock(mutex_);
  std::vector<std::string> keys;
  const std::string prefix = name(folder);
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it)
    keys.push_back(it->first.substr(folder.bucket.size() + 1));
  co_return keys;
}

void MemoryObjectStore::fail_next(Op op, int times) {
  std::lock_guard lock(mutex_);
  failures_[op] = times;
}

bool MemoryObjectStore::take_failure(Op op) {
  std::lock_guard lock(mutex_);
  int& left = failures_[op];
  if (left <= 0) return false;
  --left;
  return true;
}

void MemoryObjectStore::put(const aws::S3Location& where, std::string body) {
  std::lock_guard lock(mutex_);
  objects_[name(where)] = std::move(body);
}

std::optional<std::string> MemoryObjectStore::get(const aws::S3Location& where) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(name(where));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::size_t MemoryObjectStore::object_count() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

}  // namespace batchgate::test
