#include "batch_io.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace batchgate::bedrock_emulator {
namespace {

using nlohmann::json;

std::string claude_line(int i, bool good) {
  json input{{"anthropic_version", "bedrock-2023-05-31"},
             {"messages", json::array({{{"role", "user"}, {"content", "question " + std::to_string(i)}}})}};
  if (good) input["max_tokens"] = 100;
  return json{{"recordId", "rec" + std::to_string(i)}, {"modelInput", input}}.dump() + "\n";
}

InputFile parse_ok(std::string name, const std::string& content) {
  auto parsed = parse_input_file(std::move(name), content);
  EXPECT_TRUE(std::holds_alternative<InputFile>(parsed)) << std::get<std::string>(parsed);
  return std::get<InputFile>(parsed);
}

TEST(EmulatorBatchIo, ParsesRecordsAndGeneratesMissingIds) {
  const auto file =
      parse_ok("in.jsonl", claude_line(1, true) + "\n  \r\n" + R"({"modelInput":{"prompt":"x"}})" + "\r\n");
  ASSERT_EQ(file.records.size(), 2u);
  EXPECT_EQ(file.records[0].record_id, "rec1");
  EXPECT_EQ(file.records[1].record_id.size(), 11u);
}

TEST(EmulatorBatchIo, BadLinesFailTheJobWithTheLineNumber) {
  const auto broken = parse_input_file("in.jsonl", claude_line(1, true) + "{not json}\n");
  ASSERT_TRUE(std::holds_alternative<std::string>(broken));
  EXPECT_NE(std::get<std::string>(broken).find("line 2 of in.jsonl"), std::string::npos);
  const auto no_input = parse_input_file("in.jsonl", R"({"recordId":"a"})");
  ASSERT_TRUE(std::holds_alternative<std::string>(no_input));
  EXPECT_NE(std::get<std::string>(no_input).find("modelInput"), std::string::npos);
}

TEST(EmulatorBatchIo, RecordLimits) {
  EXPECT_TRUE(check_record_count(99, {}));
  EXPECT_FALSE(check_record_count(100, {}));
  EXPECT_FALSE(check_record_count(50000, {}));
  EXPECT_TRUE(check_record_count(50001, {}));
  EXPECT_NE(check_record_count(3, {})->find("minimum of 100"), std::string::npos);
}

TEST(EmulatorBatchIo, OutputsJoinInputsAndManifestAddsUp) {
  std::string content;
  for (int i = 0; i < 120; ++i) content += claude_line(i, i % 10 != 0);
  RecordProcessor processor(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0",
                            {parse_ok("input.jsonl", content)}, {});
  EXPECT_EQ(processor.total(), 120);
  while (!processor.finished()) processor.process(7);
  const auto outputs = processor.outputs();
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].name, "input.jsonl.out");
  EXPECT_EQ(outputs[1].name, "manifest.json.out");
  std::map<std::string, json> by_id;
  std::int64_t in_tokens = 0, out_tokens = 0;
  for (std::size_t pos = 0; pos < outputs[0].body.size();) {
    const auto eol = outputs[0].body.find('\n', pos);
    const json line = json::parse(outputs[0].body.substr(pos, eol - pos));
    pos = eol + 1;
    by_id[line["recordId"]] = line;
    if (line.contains("modelOutput")) {
      in_tokens += line["modelOutput"]["usage"]["input_tokens"].get<std::int64_t>();
      out_tokens += line["modelOutput"]["usage"]["output_tokens"].get<std::int64_t>();
    } else {
      EXPECT_EQ(line["error"]["errorCode"], 400);
    }
  }
  ASSERT_EQ(by_id.size(), 120u);
  EXPECT_TRUE(by_id["rec0"].contains("error"));
  EXPECT_TRUE(by_id["rec1"].contains("modelOutput"));
  const json manifest = json::parse(outputs[1].body);
  EXPECT_EQ(manifest["totalRecordCount"], 120);
  EXPECT_EQ(manifest["processedRecordCount"], 120);
  EXPECT_EQ(manifest["successRecordCount"], 108);
  EXPECT_EQ(manifest["errorRecordCount"], 12);
  EXPECT_EQ(manifest["inputTokenCount"], in_tokens);
  EXPECT_EQ(manifest["outputTokenCount"], out_tokens);
}

TEST(EmulatorBatchIo, InjectedFailuresAndUnprocessedShare) {
  std::string content;
  for (int i = 0; i < 200; ++i) content += claude_line(i, true);
  ProcessingKnobs knobs;
  knobs.record_failure_rate = 0.25;
  knobs.record_failure_code = 429;
  knobs.unprocessed_fraction = 0.1;
  RecordProcessor processor(ModelFamily::kAnthropicMessages, false, "m", {parse_ok("a.jsonl", content)},
                            knobs);
  EXPECT_EQ(processor.planned(), 180);
  processor.process(1000);
  EXPECT_TRUE(processor.finished());
  const auto& counts = processor.counts();
  EXPECT_EQ(counts.processed, 180);
  EXPECT_EQ(counts.success + counts.error, 180);
  EXPECT_GT(counts.error, 20);
  EXPECT_LT(counts.error, 70);
  EXPECT_NE(processor.outputs()[0].body.find("\"errorCode\":429"), std::string::npos);
}

TEST(EmulatorBatchIo, SeveralFilesKeepTheirNames) {
  RecordProcessor processor(
      ModelFamily::kAnthropicMessages, false, "m",
      {parse_ok("a.jsonl", claude_line(1, true)), parse_ok("sub/b.jsonl", claude_line(2, true))}, {});
  processor.process(10);
  const auto outputs = processor.outputs();
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[1].name, "sub/b.jsonl.out");
  EXPECT_NE(outputs[1].body.find("rec2"), std::string::npos);
}

TEST(EmulatorBatchIo, FailAfterAShareAndLostRecords) {
  std::string content;
  for (int i = 0; i < 100; ++i) content += claude_line(i, true);
  ProcessingKnobs knobs;
  knobs.fail_after_fraction = 0.5;
  knobs.output_lost_fraction = 0.2;
  RecordProcessor processor(ModelFamily::kAnthropicMessages, false, "m", {parse_ok("a.jsonl", content)},
                            knobs);
  EXPECT_TRUE(processor.fails());
  EXPECT_EQ(processor.planned(), 50);
  processor.process(1000);
  EXPECT_TRUE(processor.finished());
  EXPECT_EQ(processor.counts().processed, 50);
  const auto outputs = processor.outputs();
  const auto lines = std::count(outputs[0].body.begin(), outputs[0].body.end(), '\n');
  EXPECT_LT(lines, 50) << "lost records are not written";
  EXPECT_GT(lines, 25);
  EXPECT_EQ(json::parse(outputs[1].body)["processedRecordCount"], 50) << "the manifest still counts them";
}

TEST(EmulatorBatchIo, OutputLayouts) {
  EXPECT_EQ(output_key("out/", "job1", "in.jsonl.out"), "out/job1/in.jsonl.out");
  EXPECT_EQ(output_key("out", "job1", "in.jsonl.out", OutputLayout::kRenamed),
            "out/job1/in.results.jsonl.out");
  EXPECT_EQ(output_key("out", "job1", "manifest.json.out", OutputLayout::kRenamed),
            "out/job1/manifest.json.out");
  EXPECT_EQ(output_key("out/", "job1", "in.jsonl.out", OutputLayout::kFlat), "out/in.jsonl.out");
  EXPECT_EQ(output_key("", "job1", "manifest.json.out", OutputLayout::kFlat), "manifest.json.out");
  EXPECT_EQ(parse_output_layout("flat"), OutputLayout::kFlat);
  EXPECT_EQ(to_string(OutputLayout::kRenamed), "renamed");
  EXPECT_FALSE(parse_output_layout("Flat"));
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
