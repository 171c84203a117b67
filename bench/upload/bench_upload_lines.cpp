// The whole per-line work of POST /v1/files without the network and S3: BatchFileChecker::add_line checks
// each line (JSON, custom_id unique, url, model allowed), translates it and appends the Bedrock record to
// the part buffer. One iteration is a 50,000-line Claude file (the default line limit), so the
// custom_id set and the recordId mapping grow as they do in a real upload.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "server/files/batch_file_checker.hpp"

namespace {

using nlohmann::json;

batchgate::config::Settings settings() {
  const char* yaml = R"(
model_list:
  - model_name: claude-batch
    litellm_params: {model: bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0, aws_region_name: us-east-1,
                     s3_bucket_name: bench-bucket, aws_batch_role_arn: "arn:aws:iam::123456789012:role/R"}
    model_info: {mode: batch}
general_settings: {master_key: sk-12345678}
)";
  auto loaded = batchgate::config::load_from_string(yaml, [](std::string_view) { return std::nullopt; });
  return *loaded.settings;
}

// Chat lines of ~1.2 KB: a system prompt, a user message with a document, sampling parameters.
std::vector<std::string> claude_file(int lines) {
  std::string paragraph =
      "The quarterly report shows revenue growth of 12 percent, driven mainly by the subscription business, "
      "while hardware sales declined slightly. Operating costs rose because of new hires in support. ";
  std::vector<std::string> out;
  out.reserve(std::size_t(lines));
  for (int i = 0; i < lines; ++i) {
    json body = {
        {"model", "claude-batch"},
        {"max_completion_tokens", 256},
        {"temperature", 0.1},
        {"messages",
         json::array({{{"role", "system"}, {"content", "Classify the document. Answer with one word."}},
                      {{"role", "user"},
                       {"content", "Document " + std::to_string(i) + ":\n" + paragraph + paragraph +
                                       paragraph + paragraph + paragraph}}})}};
    out.push_back(json{
        {"custom_id", "doc-" + std::to_string(i)},
        {"method", "POST"},
        {"url", "/v1/chat/completions"},
        {"body",
         body}}.dump());
  }
  return out;
}

void BM_CheckAndTranslate50kLines(benchmark::State& state) {
  const batchgate::config::Settings config = settings();
  const std::vector<std::string> lines = claude_file(50000);
  std::size_t bytes = 0;
  for (const std::string& line : lines) bytes += line.size() + 1;
  for (auto _ : state) {
    batchgate::files::BatchFileChecker checker(
        config, [](std::string_view) { return true; }, batchgate::files::CheckLimits{});
    std::string part;
    for (const std::string& line : lines) {
      checker.add_line(line, false, part);
      if (part.size() >= (5U << 20)) part.clear();  // an S3 part handed over
    }
    checker.finish();
    if (!checker.ok()) state.SkipWithError(checker.problems().front().message.c_str());
    benchmark::DoNotOptimize(part);
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
  state.SetItemsProcessed(std::int64_t(state.iterations()) * 50000);
}
BENCHMARK(BM_CheckAndTranslate50kLines)->Unit(benchmark::kMillisecond);

}  // namespace
