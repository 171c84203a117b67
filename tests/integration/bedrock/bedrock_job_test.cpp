// Jobs run end to end: input JSONL uploaded to a SigV4-checking moto_server with our S3Client, the job
// created and polled with our BedrockClient against bedrock-emulator, outputs read back from S3 and checked
// the way the collector will use them (spec/bedrock-batch.md §6, §8).

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "emulator_stack.hpp"

namespace batchgate::test {
namespace {

using nlohmann::json;

json claude(int i) {
  return json{
      {"anthropic_version", "bedrock-2023-05-31"},
      {"max_tokens", 128},
      {"system", "Answer briefly."},
      {"messages", json::array({{{"role", "user"}, {"content", "Question number " + std::to_string(i)}}})}};
}

// Every 8th record is malformed in one of the ways Bedrock answers with a per-record 400.
json record_input(int i) {
  json input = claude(i);
  if (i % 8 != 0) return input;
  switch ((i / 8) % 5) {
    case 0:
      input.erase("max_tokens");
      break;
    case 1:
      input.erase("anthropic_version");
      break;
    case 2:
      input["model"] = kClaude;
      break;
    case 3:
      input["messages"].push_back({{"role", "user"}, {"content", "twice in a row"}});
      break;
    default:
      input["messages"][0]["role"] = "assistant";
      break;
  }
  return input;
}

std::string input_file(int records) {
  std::string body;
  for (int i = 0; i < records; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "R%010d", i);
    body += json{{"recordId", id}, {"modelInput", record_input(i)}}.dump() + "\n";
  }
  return body;
}

std::map<std::string, json> lines_by_record(const std::string& body) {
  std::map<std::string, json> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto eol = body.find('\n', pos);
    const json line = json::parse(body.substr(pos, eol - pos));
    EXPECT_FALSE(out.contains(line["recordId"])) << "duplicate " << line["recordId"];
    out[line["recordId"].get<std::string>()] = line;
    pos = eol == std::string::npos ? body.size() : eol + 1;
  }
  return out;
}

class BedrockJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new EmulatorStack(); }
  static void TearDownTestSuite() { delete stack_; }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  std::string upload(const std::string& key, std::string body) {
    auto put = c_.run(c_.s3().put_object(kBucket, key, std::move(body)));
    EXPECT_TRUE(put) << put.error().to_string();
    return key;
  }

  std::string create(aws::CreateJobRequest request) {
    auto arn = c_.run(c_.bedrock().create_model_invocation_job(std::move(request)));
    EXPECT_TRUE(arn) << arn.error().to_string();
    return arn ? *arn : std::string();
  }

  std::string read(const std::string& key) {
    auto body = c_.run(c_.s3().get_object_string(kBucket, key));
    EXPECT_TRUE(body) << key << ": " << body.error().to_string();
    return body ? *body : std::string();
  }

  static EmulatorStack* stack_;
  StackClients c_{*stack_};
};

EmulatorStack* BedrockJobTest::stack_ = nullptr;

TEST_F(BedrockJobTest, CompletedJobOutputsJoinEveryRecordAndManifestAddsUp) {
  const int kRecords = 120;
  upload("e2e/in/input.jsonl", input_file(kRecords));
  const std::string arn = create(c_.job_request("it-e2e", "e2e/in/input.jsonl", "e2e/out/"));
  const auto job = c_.wait_for(arn, {"Completed", "PartiallyCompleted", "Failed"});
  ASSERT_EQ(job.status, "Completed") << job.message.value_or("");
  ASSERT_TRUE(job.end_time);

  const auto out = lines_by_record(read("e2e/out/" + job.job_id() + "/input.jsonl.out"));
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kRecords));
  std::int64_t success = 0, errors = 0, input_tokens = 0, output_tokens = 0;
  for (int i = 0; i < kRecords; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "R%010d", i);
    ASSERT_TRUE(out.contains(id)) << id;
    const json& line = out.at(id);
    EXPECT_EQ(line["modelInput"], record_input(i)) << id;
    if (i % 8 == 0) {
      ASSERT_TRUE(line.contains("error")) << line.dump();
      EXPECT_FALSE(line.contains("modelOutput"));
      EXPECT_EQ(line["error"]["errorCode"], 400);
      ++errors;
      continue;
    }
    ASSERT_TRUE(line.contains("modelOutput")) << line.dump();
    const json& usage = line["modelOutput"]["usage"];
    EXPECT_EQ(line["modelOutput"]["role"], "assistant");
    EXPECT_GT(usage["input_tokens"].get<int>(), 0);
    input_tokens += usage["input_tokens"].get<std::int64_t>();
    output_tokens += usage["output_tokens"].get<std::int64_t>();
    ++success;
  }
  const json manifest = json::parse(read("e2e/out/" + job.job_id() + "/manifest.json.out"));
  EXPECT_EQ(manifest["totalRecordCount"], kRecords);
  EXPECT_EQ(manifest["processedRecordCount"], kRecords);
  EXPECT_EQ(manifest["successRecordCount"], success);
  EXPECT_EQ(manifest["errorRecordCount"], errors);
  EXPECT_EQ(manifest["successRecordCount"].get<int>() + manifest["errorRecordCount"].get<int>(), kRecords);
  EXPECT_EQ(manifest["inputTokenCount"], input_tokens);
  EXPECT_EQ(manifest["outputTokenCount"], output_tokens);
  EXPECT_EQ(job.total_record_count, kRecords);
  EXPECT_EQ(job.success_record_count, success);
  EXPECT_EQ(job.error_record_count, errors);
}

TEST_F(BedrockJobTest, KmsKeyEncryptsOutputs) {
  const std::string key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  upload("kms/in/input.jsonl", input_file(100));
  auto request = c_.job_request("it-kms", "kms/in/input.jsonl", "kms/out");
  request.output.s3_encryption_key_id = key;
  const std::string arn = create(request);
  const auto job = c_.wait_for(arn, {"Completed", "Failed"});
  ASSERT_EQ(job.status, "Completed") << job.message.value_or("");
  for (const char* name : {"input.jsonl.out", "manifest.json.out"}) {
    auto head = c_.run(c_.s3().head_object(kBucket, "kms/out/" + job.job_id() + "/" + name));
    ASSERT_TRUE(head) << head.error().to_string();
    EXPECT_EQ(head->server_side_encryption, "aws:kms");
    EXPECT_EQ(head->kms_key_id, key);
  }
}

TEST_F(BedrockJobTest, PrefixInputUsesEveryJsonlFile) {
  upload("prefix/in/part-a.jsonl", input_file(60));
  upload("prefix/in/part-b.jsonl", input_file(50));
  upload("prefix/in/readme.txt", "not input");
  const auto job =
      c_.wait_for(create(c_.job_request("it-prefix", "prefix/in/", "prefix/out/")), {"Completed", "Failed"});
  ASSERT_EQ(job.status, "Completed") << job.message.value_or("");
  EXPECT_EQ(job.total_record_count, 110);
  EXPECT_EQ(lines_by_record(read("prefix/out/" + job.job_id() + "/part-b.jsonl.out")).size(), 50u);
}

TEST_F(BedrockJobTest, InputProblemsFailInValidating) {
  upload("bad/few.jsonl", input_file(99));
  upload("bad/input.csv", input_file(100));
  upload("bad/broken.jsonl", input_file(100) + "{this is not json}\n");
  const std::vector<std::pair<std::string, std::string>> cases{{"bad/few.jsonl", "minimum of 100"},
                                                               {"bad/input.csv", "not a .jsonl file"},
                                                               {"bad/broken.jsonl", "line 101"},
                                                               {"bad/missing.jsonl", "No .jsonl input file"}};
  for (const auto& [key, message] : cases) {
    const auto job = c_.wait_for(create(c_.job_request("it-bad", key, "bad/out/")), {"Failed", "Completed"});
    EXPECT_EQ(job.status, "Failed") << key;
    EXPECT_NE(job.message.value_or("").find(message), std::string::npos)
        << key << ": " << job.message.value_or("");
  }
  ASSERT_EQ(c_.configure({{"maxRecords", 150}}), 200);
  upload("bad/many.jsonl", input_file(151));
  const auto many =
      c_.wait_for(create(c_.job_request("it-many", "bad/many.jsonl", "bad/out/")), {"Failed", "Completed"});
  ASSERT_EQ(c_.configure({{"maxRecords", 50000}}), 200);
  EXPECT_EQ(many.status, "Failed");
  EXPECT_NE(many.message.value_or("").find("maximum of 150"), std::string::npos);
}

TEST_F(BedrockJobTest, StopInProgressWritesPartialOutput) {
  ASSERT_EQ(c_.configure({{"recordsPerSecond", 50}}), 200);
  upload("stop/input.jsonl", input_file(200));
  const std::string arn = create(c_.job_request("it-stop-run", "stop/input.jsonl", "stop/out/"));
  const auto running = c_.wait_for(arn, {"InProgress"});
  ASSERT_EQ(running.status, "InProgress");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(c_.run(c_.bedrock().stop_model_invocation_job(arn)));
  const auto job = c_.wait_for(arn, {"Stopped"});
  ASSERT_EQ(c_.configure({{"recordsPerSecond", 1000}}), 200);
  const auto out = lines_by_record(read("stop/out/" + job.job_id() + "/input.jsonl.out"));
  EXPECT_GT(out.size(), 0u);
  EXPECT_LT(out.size(), 200u);
  const json manifest = json::parse(read("stop/out/" + job.job_id() + "/manifest.json.out"));
  EXPECT_EQ(manifest["processedRecordCount"], out.size());
  EXPECT_EQ(manifest["totalRecordCount"], 200);
  EXPECT_EQ(job.processed_record_count, static_cast<std::int64_t>(out.size()));
}

TEST_F(BedrockJobTest, UnprocessedShareEndsPartiallyCompleted) {
  ASSERT_EQ(c_.configure({{"unprocessedFraction", 0.25}, {"recordFailureRate", 0.1}}), 200);
  upload("partial/input.jsonl", input_file(100));
  const auto job = c_.wait_for(create(c_.job_request("it-partial", "partial/input.jsonl", "partial/out/")),
                               {"PartiallyCompleted", "Completed", "Failed"});
  ASSERT_EQ(c_.configure({{"unprocessedFraction", 0.0}, {"recordFailureRate", 0.0}}), 200);
  ASSERT_EQ(job.status, "PartiallyCompleted");
  EXPECT_EQ(job.processed_record_count, 75);
  const auto out = lines_by_record(read("partial/out/" + job.job_id() + "/input.jsonl.out"));
  EXPECT_EQ(out.size(), 75u);
  std::size_t injected = 0;
  for (const auto& [id, line] : out) injected += line.contains("error") && line["error"]["errorCode"] == 500;
  EXPECT_GT(injected, 0u);
}

TEST_F(BedrockJobTest, ScheduledPastTimeoutExpires) {
  // 24 "hours" of 0.01 s: the job times out while it waits in Scheduled.
  ASSERT_EQ(c_.configure({{"secondsPerTimeoutHour", 0.01}, {"scheduledSeconds", 1.0}}), 200);
  upload("expire/input.jsonl", input_file(100));
  auto request = c_.job_request("it-expire", "expire/input.jsonl", "expire/out/");
  request.timeout_duration_in_hours = 24;
  const auto job = c_.wait_for(create(request), {"Expired", "Completed", "Failed"});
  ASSERT_EQ(c_.configure({{"secondsPerTimeoutHour", 3600}, {"scheduledSeconds", 0.1}}), 200);
  EXPECT_EQ(job.status, "Expired");
  EXPECT_TRUE(job.end_time);
}

// The emulator serving its own S3 (--serve-s3, no moto): the input goes into it with our S3Client, the job
// lists and reads it and writes its outputs back through the emulator's S3Client to the same port.
class ServeS3JobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new EmulatorStack(StackS3::kEmulator); }
  static void TearDownTestSuite() { delete stack_; }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  static EmulatorStack* stack_;
  StackClients c_{*stack_};
};

EmulatorStack* ServeS3JobTest::stack_ = nullptr;

TEST_F(ServeS3JobTest, JobReadsInputFromAndWritesOutputToTheEmulatorsS3) {
  const std::vector<std::pair<std::string, int>> files{{"part-a.jsonl", 70}, {"part-b.jsonl", 50}};
  for (const auto& [name, records] : files) {
    auto put = c_.run(c_.s3().put_object(kBucket, "serve/in/" + name, input_file(records)));
    ASSERT_TRUE(put) << put.error().to_string();
  }
  auto arn = c_.run(
      c_.bedrock().create_model_invocation_job(c_.job_request("it-serve-s3", "serve/in/", "serve/out/")));
  ASSERT_TRUE(arn) << arn.error().to_string();
  const auto job = c_.wait_for(*arn, {"Completed", "PartiallyCompleted", "Failed"});
  ASSERT_EQ(job.status, "Completed") << job.message.value_or("");
  int errors = 0;
  for (const auto& [name, records] : files) {
    auto body = c_.run(c_.s3().get_object_string(kBucket, "serve/out/" + job.job_id() + "/" + name + ".out"));
    ASSERT_TRUE(body) << body.error().to_string();
    const auto out = lines_by_record(*body);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(records)) << name;
    for (int i = 0; i < records; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "R%010d", i);
      EXPECT_EQ(out.at(id)["modelInput"], record_input(i)) << name << " " << id;
      EXPECT_EQ(out.at(id).contains("error"), i % 8 == 0) << name << " " << id;
      errors += i % 8 == 0;
    }
  }
  auto manifest =
      c_.run(c_.s3().get_object_string(kBucket, "serve/out/" + job.job_id() + "/manifest.json.out"));
  ASSERT_TRUE(manifest) << manifest.error().to_string();
  const json counts = json::parse(*manifest);
  EXPECT_EQ(counts["totalRecordCount"], 120);
  EXPECT_EQ(counts["errorRecordCount"], errors);
  EXPECT_EQ(counts["successRecordCount"], 120 - errors);
}

}  // namespace
}  // namespace batchgate::test
