#include "server/batch/collector.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <memory>
#include <stdexcept>
#include <utility>

#include "server/http/multipart.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;

// A Bedrock output line carries its modelInput, and Claude accepts 20 MB request bodies
// (spec/bedrock-batch.md §9); a longer line is counted as unreadable and its records become missing.
constexpr std::size_t kMaxLine = 64 << 20;
constexpr const char* kJsonl = "application/jsonl";

CollectError failure(std::string what, aws::S3Error error) {
  std::string message = what + ": " + error.to_string();
  return CollectError{std::move(message), std::move(error)};
}

class Collection {
 public:
  Collection(aws::S3Client& s3, IdGenerator& ids, CollectRequest request)
      : s3_(s3),
        request_(std::move(request)),
        core_(std::move(request_.mappings), *request_.translator, ids, request_.options),
        output_(s3, request_.files_bucket, request_.output_key, request_.part_size, kJsonl),
        errors_(s3, request_.files_bucket, request_.error_key, request_.part_size, kJsonl),
        splitter_(kMaxLine) {}

  awaitable<CollectOutcome> run();

 private:
  awaitable<std::optional<CollectError>> read_manifest();
  awaitable<std::optional<CollectError>> read_output();
  awaitable<std::optional<aws::S3Error>> drain();
  awaitable<std::optional<CollectError>> close_files();
  awaitable<void> abort_all();
  void add(const http::LineSplitter::Line& line) {
    if (line.too_long) {
      core_.add_unreadable_line();
      return;
    }
    core_.add_line(line.text);
  }

  aws::S3Client& s3_;
  CollectRequest request_;
  CollectorCore core_;
  aws::MultipartUploader output_;
  aws::MultipartUploader errors_;
  http::LineSplitter splitter_;
  CollectResult result_;
};

awaitable<CollectOutcome> Collection::run() {
  // The manifest first: it is small, and failing before any upload started leaves nothing to clean up.
  if (auto error = co_await read_manifest()) co_return *error;
  if (auto error = co_await read_output()) {
    co_await abort_all();
    co_return *error;
  }
  core_.finish(request_.missing_reason);
  if (auto error = co_await drain()) {
    co_await abort_all();
    co_return failure("writing the batch output files", *error);
  }
  if (auto error = co_await close_files()) co_return *error;
  result_.counts = core_.counts();
  result_.usage = core_.usage();
  co_return std::move(result_);
}

awaitable<std::optional<CollectError>> Collection::read_manifest() {
  const std::string key = bedrock_manifest_key(request_.out_prefix, request_.job_id);
  auto text = co_await s3_.get_object_string(request_.out_bucket, key);
  if (!text) {
    if (text.error().code == "NoSuchKey") co_return std::nullopt;
    co_return failure("reading s3://" + request_.out_bucket + "/" + key, text.error());
  }
  result_.manifest = parse_manifest(*text);
  if (!result_.manifest) {
    spdlog::warn("batch {}: s3://{}/{} is not a JSON object; its counts are ignored",
                 request_.options.batch_id, request_.out_bucket, key);
  }
  co_return std::nullopt;
}

// Streams the .out object into the core; the lines it produces go out after every chunk.
awaitable<std::optional<CollectError>> Collection::read_output() {
  const std::string key =
      bedrock_output_key(request_.out_prefix, request_.job_id, request_.input_file_name);
  std::optional<aws::S3Error> write_error;
  aws::BodySink sink = [this, &write_error](std::string_view chunk) -> awaitable<bool> {
    splitter_.feed(chunk);
    while (auto line = splitter_.next_line()) add(*line);
    write_error = co_await drain();
    co_return !write_error;
  };
  auto got = co_await s3_.get_object(request_.out_bucket, key, std::move(sink));
  if (write_error) co_return failure("writing the batch output files", *write_error);
  if (!got) {
    // A job that Failed or was Stopped before writing anything has no .out: every request is missing.
    if (got.error().code == "NoSuchKey") co_return std::nullopt;
    co_return failure("reading s3://" + request_.out_bucket + "/" + key, got.error());
  }
  result_.output_object_found = true;
  if (auto line = splitter_.finish()) add(*line);
  co_return std::nullopt;
}

awaitable<std::optional<aws::S3Error>> Collection::drain() {
  if (std::string lines = core_.take_output(); !lines.empty()) {
    if (auto written = co_await output_.write(lines); !written) co_return written.error();
  }
  if (std::string lines = core_.take_errors(); !lines.empty()) {
    if (auto written = co_await errors_.write(lines); !written) co_return written.error();
  }
  co_return std::nullopt;
}

// A file without lines is never created (spec/openai-batch.md §5.1: its id stays null). A failure after
// the output file was completed deletes it again, so a retry starts from a clean bucket.
awaitable<std::optional<CollectError>> Collection::close_files() {
  std::optional<WrittenFile> written[2];
  aws::MultipartUploader* uploaders[2] = {&output_, &errors_};
  const std::int64_t lines[2] = {core_.counts().completed, core_.counts().failed};
  const std::string* keys[2] = {&request_.output_key, &request_.error_key};
  for (int i = 0; i < 2; ++i) {
    if (lines[i] == 0) {
      (void)co_await uploaders[i]->abort();
      continue;
    }
    auto etag = co_await uploaders[i]->finish();
    if (!etag) {
      co_await abort_all();
      if (written[0]) (void)co_await s3_.delete_object(request_.files_bucket, written[0]->key);
      co_return failure("storing s3://" + request_.files_bucket + "/" + *keys[i], etag.error());
    }
    written[i] = WrittenFile{*keys[i], uploaders[i]->bytes_written(), lines[i]};
  }
  result_.output_file = std::move(written[0]);
  result_.error_file = std::move(written[1]);
  co_return std::nullopt;
}

awaitable<void> Collection::abort_all() {
  for (aws::MultipartUploader* uploader : {&output_, &errors_}) {
    if (auto aborted = co_await uploader->abort(); !aborted) {
      spdlog::warn("batch {}: aborting an upload failed: {}", request_.options.batch_id,
                   aborted.error().to_string());
    }
  }
}

}  // namespace

void throw_exception_from_error(const CollectError& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

awaitable<CollectOutcome> collect(aws::S3Client& s3, IdGenerator& ids, CollectRequest request) {
  assert(request.translator != nullptr);
  // Held by pointer: the core keeps views into its mappings and must not move while the coroutine runs.
  auto collection = std::make_unique<Collection>(s3, ids, std::move(request));
  co_return co_await collection->run();
}

}  // namespace batchgate::batch
