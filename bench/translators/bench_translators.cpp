// Throughput of the upload hot path for a realistic Claude line: parse the OpenAI batch line, translate
// the body, serialise the Bedrock record. Reports MB/s (of input line bytes) and records/s.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "translators/batch_line.hpp"
#include "translators/output_line.hpp"
#include "translators/translator.hpp"

namespace {

using batchgate::translators::Endpoint;
using batchgate::translators::find_translator;
using batchgate::translators::RequestOptions;
using nlohmann::json;

// ~3 KB: a system prompt, a few turns, one tool round trip, sampling parameters — typical of batch
// classification / extraction workloads.
std::string claude_line() {
  std::string paragraph =
      "The quarterly report shows revenue growth of 12 percent, driven mainly by the subscription business, "
      "while hardware sales declined slightly. Operating costs rose because of new hires in support. ";
  json body = {
      {"model", "claude-batch"},
      {"max_completion_tokens", 512},
      {"temperature", 0.2},
      {"top_p", 0.9},
      {"stop", json::array({"</answer>"})},
      {"user", "analyst-42"},
      {"tools", json::array({{{"type", "function"},
                              {"function",
                               {{"name", "lookup_ticker"},
                                {"description", "Look up a company's stock ticker"},
                                {"parameters",
                                 {{"type", "object"},
                                  {"properties", {{"company", {{"type", "string"}}}}},
                                  {"required", json::array({"company"})}}}}}}})},
      {"messages",
       json::array(
           {{{"role", "system"}, {"content", "You are a careful financial analyst. " + paragraph}},
            {{"role", "user"}, {"content", "Summarise this report:\n" + paragraph + paragraph + paragraph}},
            {{"role", "assistant"},
             {"content", nullptr},
             {"tool_calls", json::array({{{"id", "call_1"},
                                          {"type", "function"},
                                          {"function",
                                           {{"name", "lookup_ticker"},
                                            {"arguments", "{\"company\":\"Example Corp\"}"}}}}})}},
            {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "EXMP"}},
            {{"role", "user"}, {"content", "Now list three risks. " + paragraph + paragraph}}})}};
  json line = {
      {"custom_id", "request-000123"}, {"method", "POST"}, {"url", "/v1/chat/completions"}, {"body", body}};
  return line.dump();
}

void BM_ClaudeToBedrock(benchmark::State& state) {
  const auto* translator =
      find_translator("us.anthropic.claude-3-5-haiku-20241022-v1:0", Endpoint::kChatCompletions);
  std::string line = claude_line();
  simdjson::dom::parser parser;
  auto parsed = batchgate::translators::parse_batch_line(parser, line);
  if (!parsed) {
    state.SkipWithError(parsed.error().message.c_str());
    return;
  }
  RequestOptions options;
  for (auto _ : state) {
    auto translation = translator->to_bedrock(parsed->body, options);
    benchmark::DoNotOptimize(translation);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClaudeToBedrock);

// The upload's per-line work: parse the batch line (simdjson, one parser reused as the upload does),
// translate, append the Bedrock record line to the part buffer.
void BM_ClaudeLineEndToEnd(benchmark::State& state) {
  const auto* translator =
      find_translator("us.anthropic.claude-3-5-haiku-20241022-v1:0", Endpoint::kChatCompletions);
  std::string line = claude_line();
  RequestOptions options;
  simdjson::dom::parser parser;
  std::string records;
  for (auto _ : state) {
    auto parsed = batchgate::translators::parse_batch_line(parser, line);
    auto translation = translator->to_bedrock(parsed->body, options);
    batchgate::translators::append_bedrock_record_line(records, "r0000000123", translation.model_inputs[0]);
    records += '\n';
    if (records.size() > (1U << 20)) records.clear();  // a part buffer, flushed now and then
    benchmark::DoNotOptimize(records);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClaudeLineEndToEnd);

// The collector's hot path: parse a Bedrock output record (simdjson), write the OpenAI output line.
void BM_ClaudeOutputLine(benchmark::State& state) {
  const auto* translator =
      find_translator("us.anthropic.claude-3-5-haiku-20241022-v1:0", Endpoint::kChatCompletions);
  std::string answer(1500, 'x');
  json record = {{"recordId", "r0000000123"},
                 {"modelInput", json::parse(claude_line())["body"]["messages"]},
                 {"modelOutput",
                  {{"id", "msg_bdrk_01"},
                   {"type", "message"},
                   {"role", "assistant"},
                   {"content", json::array({{{"type", "text"}, {"text", answer}}})},
                   {"stop_reason", "end_turn"},
                   {"usage", {{"input_tokens", 812}, {"output_tokens", 377}}}}}};
  std::string line = record.dump();
  batchgate::translators::ResponseContext context{
      "claude-batch", "chatcmpl-0123456789abcdef01234567", 1711475054, {}};
  batchgate::translators::LineIds ids{"batch_req_0123456789abcdef01234567",
                                      "req_0123456789abcdef0123456789abcdef"};
  simdjson::dom::parser parser;
  for (auto _ : state) {
    const std::optional<batchgate::translators::JsonValue> records[] = {parser.parse(line).value()};
    auto output =
        batchgate::translators::build_output_line("request-000123", records, *translator, context, ids,
                                                  batchgate::translators::MissingReason::kMissingOutput);
    benchmark::DoNotOptimize(output.line);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClaudeOutputLine);

}  // namespace
