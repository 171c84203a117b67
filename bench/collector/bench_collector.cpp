// Collector core throughput (DESIGN.md "Results"): a 100,000-record Claude job output, as the S3 stream
// delivers it (64 KiB chunks through the LineSplitter), into OpenAI output lines. Reports records/s and
// input MB/s per core (process CPU time: the machine is shared, wall time is not the collector's).
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/batch/collector_core.hpp"
#include "server/common/line_splitter.hpp"
#include "translators/translator.hpp"

namespace {

using batchgate::batch::CollectorCore;
using nlohmann::json;

constexpr int kRecords = 100000;
constexpr int kLinesPerBatch = 2000;
constexpr std::size_t kChunk = 64 * 1024;

std::string record_id(int n) {
  std::string id = std::to_string(10000000000LL + n);
  id[0] = 'R';
  return id;
}

// Shaped like the Bedrock emulator's Claude records (and Bedrock's): a short system prompt and question in,
// a paragraph out. ~1.3 KB per line; a few percent of the records are errors.
std::string claude_line(int n) {
  const std::string question = "Classify the sentiment of review #" + std::to_string(n) +
                               ": The delivery was late but the support team was helpful and the product "
                               "works exactly as described. Would I buy again? Probably yes.";
  json input = {{"anthropic_version", "bedrock-2023-05-31"},
                {"max_tokens", 512},
                {"temperature", 0.2},
                {"system", "You are a careful analyst. Answer with one word and a short reason."},
                {"messages", json::array({{{"role", "user"}, {"content", question}}})}};
  if (n % 50 == 0) {
    return json{
        {"recordId", record_id(n)},
        {"modelInput", input},
        {"error", {{"errorCode", 400}, {"errorMessage", "Malformed input request, please reformat."}}}}
        .dump();
  }
  json output = {
      {"id", "msg_bdrk_01" + std::to_string(100000000 + n)},
      {"type", "message"},
      {"role", "assistant"},
      {"model", "claude-3-5-haiku-20241022"},
      {"content", json::array({{{"type", "text"},
                                {"text",
                                 "Positive. The reviewer praises support and product quality and would "
                                 "buy again; the late delivery is a minor complaint that does not change "
                                 "the overall tone of review " +
                                     std::to_string(n) + "."}}})},
      {"stop_reason", "end_turn"},
      {"stop_sequence", nullptr},
      {"usage",
       {{"input_tokens", 60 + n % 40},
        {"output_tokens", 40 + n % 20},
        {"cache_creation_input_tokens", 0},
        {"cache_read_input_tokens", 0}}}};
  return json{{"recordId", record_id(n)}, {"modelInput", input}, {"modelOutput", output}}.dump();
}

std::vector<batchgate::storage::RecordMapping> mappings() {
  std::vector<batchgate::storage::RecordMapping> out;
  out.reserve(kRecords);
  for (int n = 1; n <= kRecords; ++n)
    out.push_back({record_id(n), "request-" + std::to_string(n), n, 0, 1, 0});
  return out;
}

// Output order is not guaranteed (spec/bedrock-batch.md §8.2): feed records in a scrambled order.
int scrambled(int i) {
  return int((std::int64_t(i) * 7919) % kRecords) + 1;
}

// All 100,000 lines, generated once (~130 MB): the throughput benchmarks time the collector alone.
const std::string& whole_output() {
  static const std::string text = [] {
    std::string out;
    for (int i = 0; i < kRecords; ++i) (out += claude_line(scrambled(i))) += '\n';
    return out;
  }();
  return text;
}

struct Run {
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
};

// One pass of the driver's loop: 64 KiB chunks → LineSplitter → core, output drained after every chunk.
void feed(CollectorCore& core, batchgate::LineSplitter& splitter, std::string_view text, Run& run) {
  for (std::size_t at = 0; at < text.size(); at += kChunk) {
    splitter.feed(text.substr(at, kChunk));
    while (auto line = splitter.next_line()) core.add_line(line->text);
    run.bytes_out += std::int64_t(core.take_output().size() + core.take_errors().size());
  }
  run.bytes_in += std::int64_t(text.size());
}

const batchgate::translators::Translator& claude() {
  return *batchgate::translators::find_translator("anthropic.claude-3-5-haiku-20241022-v1:0",
                                                  batchgate::translators::Endpoint::kChatCompletions);
}

void finish(benchmark::State& state, CollectorCore& core, Run& run) {
  core.finish(batchgate::translators::MissingReason::kMissingOutput);
  run.bytes_out += std::int64_t(core.take_output().size() + core.take_errors().size());
  if (core.counts().completed + core.counts().failed != kRecords) state.SkipWithError("lost requests");
}

void report(benchmark::State& state, const Run& run) {
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.SetBytesProcessed(run.bytes_in);
  state.counters["out_bytes_per_record"] = double(run.bytes_out) / double(state.iterations() * kRecords);
}

void collect_claude(benchmark::State& state, bool raw_output) {
  const std::string& text = whole_output();
  const auto all_mappings = mappings();
  batchgate::RandomIdGenerator ids;
  Run run;
  for (auto _ : state) {
    CollectorCore core(all_mappings, claude(), ids, {"claude-batch", "batch_bench", 1700000000, raw_output});
    batchgate::LineSplitter splitter(64 << 20);
    feed(core, splitter, text, run);
    finish(state, core, run);
  }
  report(state, run);
}

void BM_CollectClaude100k(benchmark::State& state) {
  collect_claude(state, false);
}
BENCHMARK(BM_CollectClaude100k)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_CollectClaude100kRawOutput(benchmark::State& state) {
  collect_claude(state, true);
}
BENCHMARK(BM_CollectClaude100kRawOutput)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// For the memory figure: run alone under /usr/bin/time -v. The input is generated batch by batch with the
// timer paused, so peak RSS is the collector's own memory plus one batch of lines (~2.6 MB).
void BM_CollectClaude100kStreamedInput(benchmark::State& state) {
  const auto all_mappings = mappings();
  batchgate::RandomIdGenerator ids;
  std::string batch;
  Run run;
  for (auto _ : state) {
    CollectorCore core(all_mappings, claude(), ids, {"claude-batch", "batch_bench", 1700000000, false});
    batchgate::LineSplitter splitter(64 << 20);
    for (int first = 0; first < kRecords; first += kLinesPerBatch) {
      state.PauseTiming();
      batch.clear();
      for (int i = first; i < first + kLinesPerBatch; ++i) (batch += claude_line(scrambled(i))) += '\n';
      state.ResumeTiming();
      feed(core, splitter, batch, run);
    }
    finish(state, core, run);
  }
  report(state, run);
}
BENCHMARK(BM_CollectClaude100kStreamedInput)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
