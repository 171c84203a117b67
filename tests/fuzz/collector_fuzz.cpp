// A Bedrock job's output file as the collector reads it (server/batch/collector_core.hpp): chunks →
// LineSplitter → RecordReader (collector_record.hpp) → the family's to_openai → OpenAI output and error lines
// (translators/output_line.hpp).
// Input: one option byte, then the .jsonl.out text. Option bits 0-1 choose the family (0 claude, 1 nova,
// 2 llama, 3 titan), bit 2 raw_output, bits 3-4 the reason given to records that never came, bit 5 asks
// for base64 embeddings, bit 6 splits lines with a 4 KiB limit (as if every longer line were too long)
// instead of the collector's own 64 MiB.
// The file's records: R0000000001 is req-1, R0000000002 is req-2, R0000000003 and R0000000004 are the two
// parts of req-3 (an embeddings list input).
// Properties: every request ends in exactly one line, in the output or the error file, each line valid JSON
// of the OpenAI batch output shape; counts add up.
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/batch/collector_core.hpp"
#include "server/common/line_splitter.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using batchgate::batch::CollectorCore;
using batchgate::translators::Endpoint;
using batchgate::translators::MissingReason;

// Predictable ids: runs of the same input give the same lines.
class CountingIds final : public batchgate::IdGenerator {
 public:
  std::string base62(std::size_t length) override {
    std::string digits = std::to_string(++next_);
    return digits.size() >= length ? digits.substr(digits.size() - length)
                                   : std::string(length - digits.size(), '0') + digits;
  }

 private:
  std::uint64_t next_ = 0;
};

const batchgate::translators::Translator& translator(unsigned family) {
  static constexpr const char* kModelIds[] = {"us.anthropic.claude-3-5-haiku-20241022-v1:0",
                                              "amazon.nova-lite-v1:0", "meta.llama3-1-70b-instruct-v1:0",
                                              "amazon.titan-embed-text-v2:0"};
  const Endpoint endpoint = family == 3 ? Endpoint::kEmbeddings : Endpoint::kChatCompletions;
  const auto* found = batchgate::translators::find_translator(kModelIds[family], endpoint);
  FUZZ_CHECK(found != nullptr);
  return *found;
}

std::vector<batchgate::storage::RecordMapping> mappings(std::int64_t hints) {
  return {{"R0000000001", "req-1", 1, 0, 1, hints},
          {"R0000000002", "req-2", 2, 0, 1, hints},
          {"R0000000003", "req-3", 3, 0, 2, hints},
          {"R0000000004", "req-3", 3, 1, 2, hints}};
}

// Checks each line of one produced file; counts the lines per custom_id into `seen`.
void check_lines(std::string_view text, bool errors, std::map<std::string, int>& seen) {
  static simdjson::dom::parser parser;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    FUZZ_CHECK(eol != std::string_view::npos);
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    simdjson::dom::element root;
    FUZZ_CHECK(parser.parse(line.data(), line.size()).get(root) == simdjson::SUCCESS);
    std::string_view custom_id;
    std::string_view id;
    FUZZ_CHECK(root["custom_id"].get(custom_id) == simdjson::SUCCESS);
    FUZZ_CHECK(root["id"].get(id) == simdjson::SUCCESS && !id.empty());
    ++seen[std::string(custom_id)];
    const auto response = root["response"];
    const auto error = root["error"];
    FUZZ_CHECK(response.error() == simdjson::SUCCESS && error.error() == simdjson::SUCCESS);
    if (!errors) {
      std::int64_t status = 0;
      FUZZ_CHECK(error.is_null() && response["status_code"].get(status) == simdjson::SUCCESS &&
                 status == 200);
      FUZZ_CHECK(response["body"].error() == simdjson::SUCCESS);
      continue;
    }
    // An error line carries either an HTTP error response or, for a record that never came, an error object.
    FUZZ_CHECK(response.is_null() != error.is_null());
    if (!response.is_null()) {
      std::int64_t status = 0;
      FUZZ_CHECK(response["status_code"].get(status) == simdjson::SUCCESS && status >= 400 && status < 600);
      FUZZ_CHECK(response["body"]["error"].is_object());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // the collector logs every odd record: keep runs fast
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const std::string_view file = batchgate::fuzz::as_text(data + 1, size - 1);
  const unsigned family = options & 3u;
  const bool raw_output = (options & 4u) != 0;
  const unsigned reason_bits = (options >> 3) & 3u;
  const MissingReason reason = reason_bits == 0   ? MissingReason::kBatchExpired
                               : reason_bits == 1 ? MissingReason::kBatchCancelled
                                                  : MissingReason::kMissingOutput;
  const std::int64_t hints = (options & 32u) != 0 ? 1 : 0;
  const std::size_t max_line = (options & 64u) != 0 ? 4096 : 64 << 20;

  CountingIds ids;
  CollectorCore core(mappings(hints), translator(family), ids,
                     {"model-name", "batch_fuzz", 1700000000, raw_output});
  batchgate::LineSplitter splitter(max_line);
  std::string output;
  std::string errors;
  // S3 streams the object in chunks: lines cross chunk ends.
  constexpr std::size_t kChunk = 113;
  for (std::size_t at = 0; at < file.size(); at += kChunk) {
    splitter.feed(file.substr(at, kChunk));
    while (auto line = splitter.next_line()) {
      if (line->too_long)
        core.add_unreadable_line();
      else
        core.add_line(line->text);
    }
    output += core.take_output();
    errors += core.take_errors();
  }
  if (auto last = splitter.finish()) {
    if (last->too_long)
      core.add_unreadable_line();
    else
      core.add_line(last->text);
  }
  core.finish(reason);
  output += core.take_output();
  errors += core.take_errors();

  std::map<std::string, int> seen;
  check_lines(output, false, seen);
  check_lines(errors, true, seen);
  FUZZ_CHECK((seen == std::map<std::string, int>{{"req-1", 1}, {"req-2", 1}, {"req-3", 1}}));
  const auto& counts = core.counts();
  FUZZ_CHECK(counts.total == 3 && counts.completed + counts.failed == 3);
  return 0;
}
