// Reading what a Bedrock batch job wrote (spec/bedrock-batch.md §8.2): the expected {jobId}/{input}.out and
// manifest.json.out first, and when the output file is not there, whatever *.out objects the job's output
// location holds (AWS documents only "one output file per input file plus manifest.json.out in the output
// location": the folder and the name are observed behaviour).
#include <spdlog/spdlog.h>

#include "server/batch/bedrock_job_runner.hpp"
#include "server/batch/collector_layout.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;

bool no_such_key(const aws::S3Error& e) {
  return e.code == "NoSuchKey";
}

// The manifest at `where` into the report; a missing one is no error.
awaitable<ObjectResult<void>> read_manifest(ObjectStore& objects, aws::S3Location where, OutputReport& report,
                                            const std::string& context) {
  auto text = co_await objects.read_small(where);
  if (!text && !no_such_key(text.error())) co_return text.error();
  if (!text) co_return ObjectResult<void>{};
  report.manifest = parse_manifest(*text);
  if (!report.manifest)
    spdlog::warn("batch {}: {} is not a JSON object; its counts are ignored", context, aws::s3_uri(where));
  co_return ObjectResult<void>{};
}

// Every record file the listing found, one after the other; a '\n' between them so that a file without a
// final newline does not merge its last line with the next file's first.
awaitable<ObjectResult<void>> read_discovered(ObjectStore& objects, const std::string& bucket,
                                              const std::vector<std::string>& keys, ObjectSink sink,
                                              OutputReport& report) {
  for (const std::string& key : keys) {
    // Named: g++ 12 mishandles braced temporaries inside co_await expressions (PR 101367).
    aws::S3Location where{bucket, key};
    auto read = co_await objects.read(std::move(where), sink);
    if (!read && no_such_key(read.error())) continue;
    if (!read) co_return read.error();
    report.found = true;
    if (!co_await sink("\n"))
      co_return aws::S3Error{0, "SinkAborted", "the consumer stopped the transfer", {}};
  }
  co_return ObjectResult<void>{};
}

// The expected output file was missing: list the output location and read what it holds.
awaitable<ObjectResult<OutputReport>> discover(ObjectStore& objects, const aws::S3Location& folder,
                                               const std::string& job_id, const std::string& expected,
                                               ObjectSink sink, OutputReport report, std::string context) {
  // The output URI is a prefix with or without its trailing '/' (spec/bedrock-batch.md §8.2).
  aws::S3Location listed = folder;
  if (!listed.key.empty() && !listed.key.ends_with('/')) listed.key += '/';
  auto keys = co_await objects.list(listed);
  if (!keys) co_return keys.error();
  DiscoveredOutput found = discover_output(*keys, listed.key, job_id);
  if (!report.manifest && found.manifest_key) {
    aws::S3Location where{folder.bucket, *found.manifest_key};
    auto read = co_await read_manifest(objects, std::move(where), report, context);
    if (!read) co_return read.error();
  }
  if (found.output_keys.empty()) co_return report;
  std::string names;
  for (const std::string& key : found.output_keys) names += (names.empty() ? "" : ", ") + key;
  spdlog::warn("batch {}: {} does not exist; reading the job's output from {} instead", context, expected,
               names);
  auto read = co_await read_discovered(objects, folder.bucket, found.output_keys, std::move(sink), report);
  if (!read) co_return read.error();
  co_return report;
}

}  // namespace

awaitable<ObjectResult<OutputReport>> read_bedrock_job_output(ObjectStore& objects, aws::S3Location folder,
                                                              std::string job_id, std::string input_file_name,
                                                              ObjectSink sink, std::string context) {
  OutputReport report;
  report.location = aws::s3_uri(folder);
  // The manifest first: it is small, and a failure here happens before any output line went anywhere.
  aws::S3Location manifest{folder.bucket, bedrock_manifest_key(folder.key, job_id)};
  auto got = co_await read_manifest(objects, manifest, report, context);
  if (!got) co_return got.error();
  aws::S3Location out{folder.bucket, bedrock_output_key(folder.key, job_id, input_file_name)};
  auto read = co_await objects.read(out, sink);
  if (read) {
    report.found = true;
    co_return report;
  }
  if (!no_such_key(read.error())) co_return read.error();
  // Named or nested otherwise, or no output at all (a job that Failed or was Stopped before writing any).
  std::string expected = aws::s3_uri(out);
  co_return co_await discover(objects, folder, job_id, expected, std::move(sink), std::move(report),
                              std::move(context));
}

}  // namespace batchgate::batch
