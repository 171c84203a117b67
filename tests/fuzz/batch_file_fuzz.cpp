// An uploaded batch input file as the upload pipeline checks and translates it (server/files/
// batch_file_checker.hpp): chunks → LineSplitter → BatchFileChecker::add_line → every family's to_bedrock.
// Input: one option byte, then the JSONL file. Option bits 0-2 pin the model as target_model_names does
// (0 claude, 1 nova, 2 llama, 3 titan, 4 a chat-mode model, else body.model decides), bit 3 forbids nova to
// the caller's key.
// Properties: the records are one JSON line {"recordId", "modelInput": {...}} per mapping, in order; a file
// with problems names each with a code, a message and a line number within the file.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "server/common/line_splitter.hpp"
#include "server/files/batch_file_checker.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using batchgate::files::BatchFileChecker;

// One model of each family (and one that is not mode: batch), as a deployment's config.yaml names them.
const batchgate::config::Settings& settings() {
  static const batchgate::config::Settings loaded = [] {
    const std::string yaml = R"(
model_list:
  - model_name: claude-batch
    litellm_params: {model: bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0, aws_region_name: us-east-1,
                     s3_bucket_name: b-1, aws_batch_role_arn: "arn:aws:iam::123456789012:role/R", max_tokens: 321}
    model_info: {mode: batch}
  - model_name: nova-batch
    litellm_params: {model: bedrock/amazon.nova-lite-v1:0, aws_region_name: us-east-1, s3_bucket_name: b-1,
                     aws_batch_role_arn: "arn:aws:iam::123456789012:role/R"}
    model_info: {mode: batch}
  - model_name: llama-batch
    litellm_params: {model: bedrock/meta.llama3-1-70b-instruct-v1:0, aws_region_name: us-east-1,
                     s3_bucket_name: b-1, aws_batch_role_arn: "arn:aws:iam::123456789012:role/R", drop_params: true}
    model_info: {mode: batch}
  - model_name: titan-batch
    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, aws_region_name: us-east-1, s3_bucket_name: b-1,
                     aws_batch_role_arn: "arn:aws:iam::123456789012:role/R"}
    model_info: {mode: batch}
  - model_name: claude-chat
    litellm_params: {model: bedrock/anthropic.claude-3-haiku-20240307-v1:0, aws_region_name: us-east-1}
general_settings: {master_key: sk-fuzz-master-key}
)";
    auto result = batchgate::config::load_from_string(yaml, [](std::string_view) { return std::nullopt; });
    FUZZ_CHECK(result.settings);
    return *result.settings;
  }();
  return loaded;
}

std::optional<std::string> pinned_model(std::uint8_t options) {
  static constexpr const char* kPinned[] = {"claude-batch", "nova-batch", "llama-batch", "titan-batch",
                                            "claude-chat"};
  const unsigned index = options & 7u;
  if (index >= std::size(kPinned)) return std::nullopt;
  return kPinned[index];
}

void check_records(BatchFileChecker& checker, std::string_view records) {
  static simdjson::dom::parser parser;
  std::size_t index = 0;
  while (!records.empty()) {
    const std::size_t eol = records.find('\n');
    FUZZ_CHECK(eol != std::string_view::npos);
    const std::string_view line = records.substr(0, eol);
    records.remove_prefix(eol + 1);
    simdjson::dom::element record;
    FUZZ_CHECK(parser.parse(line.data(), line.size()).get(record) == simdjson::SUCCESS);
    std::string_view record_id;
    FUZZ_CHECK(record["recordId"].get(record_id) == simdjson::SUCCESS);
    FUZZ_CHECK(record["modelInput"].is_object());
    FUZZ_CHECK(index < std::size_t(checker.record_count()));
    FUZZ_CHECK(record_id == checker.mappings()[index].record_id);
    ++index;
  }
  FUZZ_CHECK(index == std::size_t(checker.record_count()));
}

void check_problems(const BatchFileChecker& checker) {
  FUZZ_CHECK(checker.ok() == checker.problems().empty());
  FUZZ_CHECK(checker.problem_count() >= std::int64_t(checker.problems().size()));
  for (const auto& problem : checker.problems()) {
    FUZZ_CHECK(!problem.code.empty() && !problem.message.empty());
    FUZZ_CHECK(problem.line >= 0 && problem.line <= checker.line_count());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const std::string_view file = batchgate::fuzz::as_text(data + 1, size - 1);
  const bool nova_forbidden = (options & 8u) != 0;
  // Small limits, so that the line limit and the cap on reported problems are reached by small inputs.
  BatchFileChecker checker(
      settings(),
      [nova_forbidden](std::string_view model) { return !(nova_forbidden && model == "nova-batch"); },
      batchgate::files::CheckLimits{16, 8}, pinned_model(options));

  std::string records;
  batchgate::LineSplitter splitter(2048);
  // Uploads arrive in chunks: lines cross chunk ends.
  constexpr std::size_t kChunk = 97;
  for (std::size_t at = 0; at < file.size(); at += kChunk) {
    splitter.feed(file.substr(at, kChunk));
    while (auto line = splitter.next_line()) checker.add_line(line->text, line->too_long, records);
  }
  if (auto last = splitter.finish()) checker.add_line(last->text, last->too_long, records);
  checker.finish();

  check_records(checker, records);
  check_problems(checker);
  return 0;
}
