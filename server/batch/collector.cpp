#include "server/batch/collector.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <memory>
#include <stdexcept>
#include <utility>

#include "server/common/line_splitter.hpp"

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
  Collection(ObjectStore& files, IdGenerator& ids, CollectRequest request)
      : files_(files),
        request_(std::move(request)),
        core_(std::move(request_.mappings), *request_.translator, ids, request_.options),
        output_(files.writer(request_.output_file, request_.part_size, kJsonl)),
        errors_(files.writer(request_.error_file, request_.part_size, kJsonl)),
        splitter_(kMaxLine) {}

  awaitable<CollectOutcome> run();

 private:
  awaitable<std::optional<CollectError>> read_output();
  awaitable<std::optional<aws::S3Error>> drain();
  awaitable<std::optional<CollectError>> close_files();
  awaitable<void> abort_all();
  void add(const LineSplitter::Line& line) {
    if (line.too_long) {
      core_.add_unreadable_line();
      return;
    }
    core_.add_line(line.text);
  }

  ObjectStore& files_;
  CollectRequest request_;
  CollectorCore core_;
  std::unique_ptr<ObjectWriter> output_;
  std::unique_ptr<ObjectWriter> errors_;
  LineSplitter splitter_;
  CollectResult result_;
};

awaitable<CollectOutcome> Collection::run() {
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

// Streams the job's output into the core; the lines it produces go out after every chunk.
awaitable<std::optional<CollectError>> Collection::read_output() {
  std::optional<aws::S3Error> write_error;
  ObjectSink sink = [this, &write_error](std::string_view chunk) -> awaitable<bool> {
    splitter_.feed(chunk);
    while (auto line = splitter_.next_line()) add(*line);
    write_error = co_await drain();
    co_return !write_error;
  };
  auto report = co_await request_.source(std::move(sink));
  if (write_error) co_return failure("writing the batch output files", *write_error);
  if (!report) co_return failure("reading the job's output", report.error());
  result_.output_object_found = report->found;
  result_.manifest = report->manifest;
  result_.output_location = report->location;
  if (auto line = splitter_.finish()) add(*line);
  co_return std::nullopt;
}

awaitable<std::optional<aws::S3Error>> Collection::drain() {
  if (std::string lines = core_.take_output(); !lines.empty()) {
    if (auto written = co_await output_->write(lines); !written) co_return written.error();
  }
  if (std::string lines = core_.take_errors(); !lines.empty()) {
    if (auto written = co_await errors_->write(lines); !written) co_return written.error();
  }
  co_return std::nullopt;
}

// A file without lines is never created (spec/openai-batch.md §5.1: its id stays null). A failure after
// the output file was completed deletes it again, so a retry starts from a clean bucket.
awaitable<std::optional<CollectError>> Collection::close_files() {
  std::optional<WrittenFile> written[2];
  ObjectWriter* uploaders[2] = {output_.get(), errors_.get()};
  const bool nothing_read = request_.files_only_with_records && core_.counts().records_read == 0;
  const std::int64_t lines[2] = {nothing_read ? 0 : core_.counts().completed,
                                 nothing_read ? 0 : core_.counts().failed};
  const aws::S3Location* objects[2] = {&request_.output_file, &request_.error_file};
  for (int i = 0; i < 2; ++i) {
    if (lines[i] == 0) {
      (void)co_await uploaders[i]->abort();
      continue;
    }
    auto finished = co_await uploaders[i]->finish();
    if (!finished) {
      co_await abort_all();
      if (written[0]) (void)co_await files_.remove(written[0]->object);
      co_return failure("storing " + aws::s3_uri(*objects[i]), finished.error());
    }
    written[i] = WrittenFile{*objects[i], uploaders[i]->bytes_written(), lines[i]};
  }
  result_.output_file = std::move(written[0]);
  result_.error_file = std::move(written[1]);
  co_return std::nullopt;
}

awaitable<void> Collection::abort_all() {
  for (ObjectWriter* uploader : {output_.get(), errors_.get()}) {
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

awaitable<CollectOutcome> collect(ObjectStore& files, IdGenerator& ids, CollectRequest request) {
  assert(request.translator != nullptr && request.source);
  // Held by pointer: the core keeps views into its mappings and must not move while the coroutine runs.
  auto collection = std::make_unique<Collection>(files, ids, std::move(request));
  co_return co_await collection->run();
}

}  // namespace batchgate::batch
