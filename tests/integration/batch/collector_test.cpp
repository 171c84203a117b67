// collect() against a real moto_server: a fake Bedrock job output (.out + manifest.json.out) goes in, the
// OpenAI output and error files come back out of S3 and are read back as a user would.
#include "server/batch/collector.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <set>

#include "server/batch/bedrock_job_runner.hpp"
#include "server/batch/s3_object_store.hpp"
#include "tests/support/moto_server.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::batch {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using test::bedrock_failure;
using test::claude_success;
using test::parse_jsonl;
using test::record_id;
using translators::MissingReason;

const std::string kBucket = "collector-it";
const std::string kManifest =
    R"({"totalRecordCount":5,"processedRecordCount":4,"successRecordCount":3,"errorRecordCount":1,)"
    R"("inputTokenCount":60,"outputTokenCount":18})";

class CollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new batchgate::test::MotoServer();
    if (moto_->ok()) bucket_ok_ = moto_->create_bucket(kBucket);
  }
  static void TearDownTestSuite() { delete moto_; }

  void SetUp() override {
    ASSERT_TRUE(moto_->ok()) << moto_->error();
    ASSERT_TRUE(bucket_ok_);
  }

  static aws::S3Config config() {
    aws::S3Config c;
    c.endpoint_url = moto_->endpoint();
    c.region = moto_->region();
    c.credentials = aws::static_credentials(
        aws::Credentials{moto_->access_key_id(), moto_->secret_access_key(), std::nullopt});
    c.retry.random = [] { return 0.0; };
    c.query_keeps_slash = true;
    return c;
  }

  // A request for job `job` whose Bedrock output lies under s3://<out_bucket>/bedrock-out/ and whose results
  // go under results/<job>/.
  CollectRequest request(const std::string& job, std::vector<storage::RecordMapping> mappings,
                         const std::string& out_bucket = kBucket) {
    CollectRequest r;
    r.source = [this, job, out_bucket](ObjectSink sink) {
      return read_bedrock_job_output(objects_, {out_bucket, "bedrock-out/"}, job, "input.jsonl",
                                     std::move(sink), "batch_" + job);
    };
    r.output_file = {kBucket, "results/" + job + "/output.jsonl"};
    r.error_file = {kBucket, "results/" + job + "/error.jsonl"};
    r.mappings = std::move(mappings);
    r.translator = translators::find_translator("anthropic.claude-3-5-haiku-20241022-v1:0",
                                                translators::Endpoint::kChatCompletions);
    r.options = {"claude-batch", "batch_" + job, 1700000000, false};
    r.part_size = aws::MultipartUploader::kMinPartSize;
    return r;
  }

  void put(const std::string& key, std::string body) {
    auto put = run(s3_.put_object(kBucket, key, std::move(body)));
    ASSERT_TRUE(put) << put.error().to_string();
  }
  std::string get(const std::string& key) {
    auto body = run(s3_.get_object_string(kBucket, key));
    EXPECT_TRUE(body) << key << ": " << body.error().to_string();
    return body ? *body : std::string();
  }
  bool exists(const std::string& key) { return bool(run(s3_.head_object(kBucket, key))); }

  template <typename T>
  T run(asio::awaitable<T> task) {
    return batchgate::test::run_coroutine(io_, std::move(task));
  }

  static batchgate::test::MotoServer* moto_;
  static bool bucket_ok_;
  asio::io_context io_;
  aws::HttpClient http_{io_.get_executor()};
  aws::S3Client s3_{http_, config()};
  S3ObjectStore objects_{s3_};
  test::CountingIds ids_;
};

batchgate::test::MotoServer* CollectorTest::moto_ = nullptr;
bool CollectorTest::bucket_ok_ = false;

std::string jsonl(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

TEST_F(CollectorTest, WritesOutputAndErrorFiles) {
  put("bedrock-out/job1/input.jsonl.out",
      jsonl({claude_success(record_id(3), "three", 30, 9), bedrock_failure(record_id(2), 400, "bad request"),
             claude_success("R999", "stranger", 1, 1), claude_success(record_id(1), "one", 10, 5),
             claude_success(record_id(4), "four", 20, 4)}));
  put("bedrock-out/job1/manifest.json.out", kManifest);
  CollectRequest req = request("job1", test::chat_mappings(5));
  req.missing_reason = MissingReason::kBatchExpired;

  auto result = run(collect(objects_, ids_, std::move(req)));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->output_object_found);
  EXPECT_EQ(result->counts.total, 5);
  EXPECT_EQ(result->counts.completed, 3);
  EXPECT_EQ(result->counts.failed, 2);
  EXPECT_EQ(result->counts.unknown_records, 1);
  EXPECT_EQ(result->usage, (translators::TokenUsage{60, 18, 0}));
  ASSERT_TRUE(result->manifest);
  EXPECT_EQ(*result->manifest, (BedrockManifest{5, 4, 3, 1, 60, 18}));

  ASSERT_TRUE(result->output_file);
  ASSERT_TRUE(result->error_file);
  EXPECT_EQ(result->output_file->object.key, "results/job1/output.jsonl");
  EXPECT_EQ(result->error_file->object.key, "results/job1/error.jsonl");
  const std::string output_text = get("results/job1/output.jsonl");
  const std::string error_text = get("results/job1/error.jsonl");
  EXPECT_EQ(result->output_file->bytes, output_text.size());
  EXPECT_EQ(result->error_file->bytes, error_text.size());

  std::map<std::string, json> output, errors;
  for (const json& line : parse_jsonl(output_text)) output[line["custom_id"]] = line;
  for (const json& line : parse_jsonl(error_text)) errors[line["custom_id"]] = line;
  EXPECT_EQ(result->output_file->lines, 3);
  EXPECT_EQ(result->error_file->lines, 2);
  ASSERT_EQ(output.size(), 3u);
  EXPECT_EQ(output["req-1"]["response"]["body"]["choices"][0]["message"]["content"], "one");
  EXPECT_EQ(output["req-3"]["response"]["body"]["choices"][0]["message"]["content"], "three");
  EXPECT_EQ(output["req-4"]["response"]["body"]["model"], "claude-batch");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors["req-2"]["response"]["status_code"], 400);
  EXPECT_EQ(errors["req-2"]["response"]["body"]["error"]["message"], "bad request");
  EXPECT_TRUE(errors["req-5"]["response"].is_null());
  EXPECT_EQ(errors["req-5"]["error"]["code"], "batch_expired");
}

TEST_F(CollectorTest, NoOutputObjectMakesEveryRequestMissing) {
  CollectRequest req = request("job2", test::chat_mappings(3));
  req.missing_reason = MissingReason::kBatchCancelled;
  auto result = run(collect(objects_, ids_, std::move(req)));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->output_object_found);
  EXPECT_FALSE(result->manifest);
  EXPECT_FALSE(result->output_file);
  EXPECT_FALSE(exists("results/job2/output.jsonl")) << "an empty output file must not be stored";
  ASSERT_TRUE(result->error_file);
  std::set<std::string> missing;
  for (const json& line : parse_jsonl(get("results/job2/error.jsonl"))) {
    EXPECT_EQ(line["error"]["code"], "batch_cancelled");
    missing.insert(line["custom_id"]);
  }
  EXPECT_EQ(missing, (std::set<std::string>{"req-1", "req-2", "req-3"}));
  EXPECT_EQ(result->counts.failed, 3);
}

TEST_F(CollectorTest, AllSucceededLeavesNoErrorFile) {
  // Not newline-terminated at the end: the last line still counts.
  put("bedrock-out/job3/input.jsonl.out",
      claude_success(record_id(2), "b", 1, 1) + "\n" + claude_success(record_id(1), "a", 1, 1));
  auto result = run(collect(objects_, ids_, request("job3", test::chat_mappings(2))));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->error_file);
  EXPECT_FALSE(exists("results/job3/error.jsonl")) << "an empty error file must not be stored";
  ASSERT_TRUE(result->output_file);
  EXPECT_EQ(parse_jsonl(get("results/job3/output.jsonl")).size(), 2u);
}

// Several MiB of output: the download arrives in many chunks and both files go up in several parts.
TEST_F(CollectorTest, LargeOutputStreamsThroughMultipartUploads) {
  constexpr int kRecords = 6000;
  const std::string text(1200, 'x');
  std::string out;
  for (int n = kRecords; n >= 1; --n) {
    out += (n % 3 == 0 ? bedrock_failure(record_id(n), 500, text) : claude_success(record_id(n), text, n, 1));
    out += '\n';
  }
  put("bedrock-out/job4/input.jsonl.out", out);
  auto result = run(collect(objects_, ids_, request("job4", test::chat_mappings(kRecords))));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->counts.completed, kRecords - kRecords / 3);
  EXPECT_EQ(result->counts.failed, kRecords / 3);
  ASSERT_TRUE(result->output_file && result->error_file);
  EXPECT_GT(result->output_file->bytes, aws::MultipartUploader::kMinPartSize);

  std::set<std::string> custom_ids;
  auto output = parse_jsonl(get("results/job4/output.jsonl"));
  auto errors = parse_jsonl(get("results/job4/error.jsonl"));
  for (const auto* file : {&output, &errors})
    for (const json& line : *file) EXPECT_TRUE(custom_ids.insert(line["custom_id"]).second);
  EXPECT_EQ(custom_ids.size(), std::size_t(kRecords));
  EXPECT_EQ(output.size(), std::size_t(result->counts.completed));
}

TEST_F(CollectorTest, MissingBucketIsAnError) {
  CollectRequest req = request("job5", test::chat_mappings(1), "no-such-bucket-for-collector");
  auto result = run(collect(objects_, ids_, std::move(req)));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().s3.code, "NoSuchBucket");
  EXPECT_FALSE(exists("results/job5/error.jsonl"));
}

// The error file cannot be stored (moto refuses ':' in keys): the output file written just before is
// removed again, so a retry starts clean.
TEST_F(CollectorTest, FailedErrorFileRemovesTheOutputFile) {
  put("bedrock-out/job6/input.jsonl.out",
      jsonl({claude_success(record_id(1), "a", 1, 1), bedrock_failure(record_id(2), 400, "bad")}));
  CollectRequest req = request("job6", test::chat_mappings(2));
  req.error_file.key = "results/job6/error:file.jsonl";
  auto result = run(collect(objects_, ids_, std::move(req)));
  ASSERT_FALSE(result) << "moto accepted a ':' key; this test needs another way to fail a write";
  EXPECT_FALSE(exists("results/job6/output.jsonl"));
}

// Output named otherwise than {input}.out, in two files, one without its final newline: found by listing the
// job's output location, with the manifest beside it.
TEST_F(CollectorTest, OutputUnderAnotherNameIsFoundByListing) {
  put("bedrock-out/job7/input.results.jsonl.out", claude_success(record_id(2), "two", 2, 1));
  put("bedrock-out/job7/part-2.jsonl.out", claude_success(record_id(1), "one", 1, 1) + "\n");
  put("bedrock-out/job7/manifest.json.out",
      R"({"totalRecordCount":3,"processedRecordCount":2,"successRecordCount":2,"errorRecordCount":0})");
  auto result = run(collect(objects_, ids_, request("job7", test::chat_mappings(3))));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->output_object_found);
  EXPECT_EQ(result->counts.completed, 2);
  EXPECT_EQ(result->counts.records_read, 2);
  ASSERT_TRUE(result->manifest);
  EXPECT_EQ(result->manifest->processed_records, 2);
  EXPECT_EQ(result->output_location, "s3://" + kBucket + "/bedrock-out/");
}

// Without the {jobId}/ folder: the objects directly in the output location, never another job's. The S3
// client here signs as for AWS (no query_keeps_slash), so moto refuses the listing by the folder and the
// store lists by its first segment instead.
TEST_F(CollectorTest, OutputWithoutTheJobFolderIsFound) {
  aws::S3Config aws_like = config();
  aws_like.query_keeps_slash = false;
  aws::S3Client s3(http_, aws_like);
  S3ObjectStore store(s3);
  put("flat-out/input.jsonl.out", claude_success(record_id(1), "one", 1, 1) + "\n");
  put("flat-out/otherjob/input.jsonl.out", claude_success(record_id(2), "stranger", 1, 1) + "\n");
  CollectRequest req = request("job8", test::chat_mappings(2));
  req.source = [&store](ObjectSink sink) {
    return read_bedrock_job_output(store, {kBucket, "flat-out/"}, "job8", "input.jsonl", std::move(sink),
                                   "batch_job8");
  };
  auto result = run(collect(store, ids_, std::move(req)));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->counts.completed, 1);
  EXPECT_EQ(result->counts.records_read, 1) << "another job's subfolder is not read";
  EXPECT_EQ(result->counts.missing_records, 1);
}

}  // namespace
}  // namespace batchgate::batch
