// Batches below the model's min_batch_records run on demand (OnDemandRunner): every record invoked once and
// answered in the output or error file, throttling retried, cancel and the completion window honoured, and a
// restart never invoking an answered record again. InvokeModel is a fake here; the e2e tests use the
// emulator.
#include <gtest/gtest.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>

#include "server/batch/on_demand_runner.hpp"
#include "tests/support/fakes/core_rig.hpp"
#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::batch {
namespace {

namespace asio = boost::asio;
using batchgate::test::CoreRig;
using nlohmann::json;
using storage::BatchStatus;

config::Settings on_demand_settings() {
  config::Settings s = batchgate::test::rig_settings();
  s.models.front().min_batch_records = 100;  // every batch here is smaller: it runs on demand
  s.models.front().on_demand_concurrency = 3;
  return s;
}

// InvokeModel in memory: answers a Claude message whose text names the request, counts calls per body, and
// can throttle, refuse, slow down or hang chosen requests (matched by a substring of the body).
class FakeInvoke {
 public:
  std::map<std::string, int> calls;           // by body
  std::map<std::string, int> throttle_first;  // substring → number of calls throttled
  std::set<std::string> refuse;               // substring → ValidationException
  std::set<std::string> hang;                 // substring → never answers
  std::chrono::milliseconds latency{0};
  int in_flight = 0;
  int most_in_flight = 0;

  Invoker invoker() {
    return [this](const config::Model&,
                  std::string body) -> asio::awaitable<aws::BedrockResult<aws::InvokeResult>> {
      const int call = ++calls[body];
      ++in_flight;
      most_in_flight = std::max(most_in_flight, in_flight);
      const bool hangs = matches(hang, body);
      if (latency.count() > 0 || hangs) {
        asio::steady_timer timer(co_await asio::this_coro::executor, hangs ? std::chrono::hours(1) : latency);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      --in_flight;
      for (const auto& [needle, times] : throttle_first)
        if (body.find(needle) != std::string::npos && call <= times)
          co_return aws::BedrockError{aws::BedrockErrc::kThrottling, "ThrottlingException",
                                      "Too many requests", 429};
      if (matches(refuse, body))
        co_return aws::BedrockError{aws::BedrockErrc::kValidation, "ValidationException",
                                    "max_tokens is too large", 400};
      const std::string text = json::parse(body)["messages"][0]["content"].get<std::string>();
      json answer = {{"id", "msg_1"},
                     {"type", "message"},
                     {"role", "assistant"},
                     {"model", "claude"},
                     {"content", json::array({{{"type", "text"}, {"text", "answer to " + text}}})},
                     {"stop_reason", "end_turn"},
                     {"stop_sequence", nullptr},
                     {"usage", {{"input_tokens", 10}, {"output_tokens", 5}}}};
      co_return aws::InvokeResult{answer.dump(), 10, 5};
    };
  }

  int total() const {
    int n = 0;
    for (const auto& [body, count] : calls) n += count;
    return n;
  }

 private:
  static bool matches(const std::set<std::string>& needles, const std::string& body) {
    for (const auto& needle : needles)
      if (body.find(needle) != std::string::npos) return true;
    return false;
  }
};

class OnDemandTest : public ::testing::Test {
 protected:
  OnDemandTest()
      : rig_(::testing::UnitTest::GetInstance()->current_test_info()->name(), on_demand_settings()) {
    start_runner();
  }

  void start_runner() {
    runner_ = std::make_unique<OnDemandRunner>(
        rig_.deps(), invoke_.invoker(), rig_.io.get_executor(), [] {},
        OnDemandOptions{std::chrono::milliseconds(5), std::chrono::milliseconds(20), 1});
    rig_.add_runner(*runner_, Runners::Role::kSmallBatches);
  }

  // A stored input file of `n` Claude requests ("question 1" …) with its Bedrock records object.
  std::string add_input_file(int n) {
    storage::FileRecord f;
    f.id = "file-od" + std::to_string(++files_);
    f.purpose = "batch";
    f.filename = "small.jsonl";
    f.created_at = rig_.clock.now_seconds();
    f.model = "claude-batch";
    f.endpoint = "/v1/chat/completions";
    f.line_count = f.record_count = n;
    f.content_s3_uri = "s3://rig-bucket/pre/files/" + f.id + "/original.jsonl";
    f.bedrock_s3_uri = "s3://rig-bucket/pre/files/" + f.id + "/input.jsonl";
    std::string records;
    for (int i = 1; i <= n; ++i) {
      json input = {
          {"anthropic_version", "bedrock-2023-05-31"},
          {"max_tokens", 64},
          {"messages", json::array({{{"role", "user"}, {"content", "question " + std::to_string(i)}}})}};
      records += json{{"recordId", test::record_id(i)}, {"modelInput", input}}.dump() + "\n";
    }
    rig_.objects.put(*aws::parse_s3_uri(f.bedrock_s3_uri), records);
    EXPECT_TRUE(rig_.sqlite().insert_file(f, test::chat_mappings(n)).has_value());
    return f.id;
  }

  std::string create(const std::string& file_id, int window_hours = 24) {
    CreateBatchParams params;
    params.input_file_id = file_id;
    params.endpoint = "/v1/chat/completions";
    params.timeout_hours = window_hours;
    auto created = rig_.run(rig_.core().create(Principal{true, {}}, params));
    EXPECT_TRUE(std::holds_alternative<storage::BatchRecord>(created));
    return std::get<storage::BatchRecord>(created).id;
  }

  bool ends(const std::string& id, BatchStatus status, int turns = 300) {
    return rig_.run_until([&] { return rig_.batch(id).status == status; }, turns);
  }

  std::vector<json> lines_of(const std::string& file_id) {
    auto row = rig_.sqlite().find_file(file_id);
    if (!row.has_value() || !*row) return {};
    return test::parse_jsonl(rig_.objects.get(*aws::parse_s3_uri((**row).content_s3_uri)).value_or(""));
  }

  CoreRig rig_;
  FakeInvoke invoke_;
  std::unique_ptr<OnDemandRunner> runner_;
  int files_ = 0;
};

TEST_F(OnDemandTest, ASmallBatchRunsEveryRecordOnceAndEndsWithOpenAiFiles) {
  const std::string id = create(add_input_file(7));
  EXPECT_EQ(rig_.job(id).runner, "on_demand_invoke");
  rig_.start_background();
  std::set<BatchStatus> seen;
  ASSERT_TRUE(rig_.run_until(
      [&] {
        seen.insert(rig_.batch(id).status);
        return rig_.batch(id).status == BatchStatus::kCompleted;
      },
      300));
  EXPECT_TRUE(seen.contains(BatchStatus::kInProgress));
  EXPECT_EQ(rig_.runner.jobs_started(), 0) << "no Bedrock batch job for a small batch";
  EXPECT_EQ(invoke_.calls.size(), 7u);
  for (const auto& [body, count] : invoke_.calls) EXPECT_EQ(count, 1) << body;
  EXPECT_LE(invoke_.most_in_flight, 3) << "on_demand_concurrency bounds the calls in flight";
  const auto b = rig_.batch(id);
  EXPECT_EQ(b.completed, 7);
  EXPECT_EQ(b.failed, 0);
  EXPECT_EQ(b.input_tokens, 70);
  // On-demand prices: 70 × 0.000002 + 35 × 0.00001.
  EXPECT_NEAR(b.spend, 70 * 0.000002 + 35 * 0.00001, 1e-12);
  auto output = lines_of(b.output_file_id);
  ASSERT_EQ(output.size(), 7u);
  std::map<std::string, std::string> answers;
  for (const json& line : output)
    answers[line["custom_id"]] = line["response"]["body"]["choices"][0]["message"]["content"];
  EXPECT_EQ(answers["req-3"], "answer to question 3");
  storage::SpendQuery every_key;
  every_key.all_keys = true;
  every_key.limit = 10;
  auto spend = rig_.sqlite().list_spend(every_key);
  ASSERT_EQ(spend->size(), 1u);
  EXPECT_EQ(spend->front().pricing, "on_demand");
  EXPECT_TRUE(rig_.sqlite().answered_records(id, 0)->empty())
      << "the stored answers go once the files hold them";
}

TEST_F(OnDemandTest, ThrottledRecordsAreRetriedAndRefusedOnesGoToTheErrorFile) {
  invoke_.throttle_first["question 2\""] = 3;
  invoke_.refuse.insert("question 4\"");
  const std::string id = create(add_input_file(5));
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  int throttled_calls = 0;
  for (const auto& [body, count] : invoke_.calls)
    if (body.find("question 2\"") != std::string::npos) throttled_calls = count;
  EXPECT_EQ(throttled_calls, 4) << "three throttled calls, then the answer";
  const auto b = rig_.batch(id);
  EXPECT_EQ(b.completed, 4);
  EXPECT_EQ(b.failed, 1);
  auto errors = lines_of(b.error_file_id);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["custom_id"], "req-4");
  EXPECT_EQ(errors[0]["response"]["status_code"], 400);
  EXPECT_NE(errors[0]["response"]["body"]["error"]["message"].get<std::string>().find("max_tokens"),
            std::string::npos);
}

TEST_F(OnDemandTest, CancelStopsInvokingAndReportsTheRestCancelled) {
  invoke_.latency = std::chrono::milliseconds(30);
  const std::string id = create(add_input_file(40));
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return invoke_.total() >= 4; }));
  auto cancelled = rig_.run(rig_.core().cancel(Principal{true, {}}, id));
  ASSERT_TRUE(std::holds_alternative<storage::BatchRecord>(cancelled));
  ASSERT_TRUE(ends(id, BatchStatus::kCancelled));
  const auto b = rig_.batch(id);
  EXPECT_LT(invoke_.total(), 40) << "records not started when the cancel came are never invoked";
  EXPECT_EQ(b.completed + b.failed, 40);
  auto errors = lines_of(b.error_file_id);
  ASSERT_FALSE(errors.empty());
  for (const json& line : errors) EXPECT_EQ(line["error"]["code"], "batch_cancelled");
}

TEST_F(OnDemandTest, TheCompletionWindowEndsTheBatchExpiredWithWhatWasAnswered) {
  invoke_.hang.insert("question 3\"");  // one record never answers
  const std::string id = create(add_input_file(5));
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return rig_.sqlite().answered_records(id, 0)->size() == 4; }));
  rig_.clock.advance(25 * 3600);  // past the 24 h window
  ASSERT_TRUE(ends(id, BatchStatus::kExpired));
  const auto b = rig_.batch(id);
  EXPECT_EQ(lines_of(b.output_file_id).size(), 4u);
  auto errors = lines_of(b.error_file_id);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["custom_id"], "req-3");
  EXPECT_EQ(errors[0]["error"]["code"], "batch_expired");
}

// A crash while records are in flight: the answers stored before it are kept, and the run that resumes after
// the restart invokes only the records without an answer.
TEST_F(OnDemandTest, ARestartNeverInvokesAnAnsweredRecordAgain) {
  for (int i = 6; i <= 9; ++i) invoke_.hang.insert("question " + std::to_string(i) + "\"");
  const std::string id = create(add_input_file(9));
  rig_.start_background();
  ASSERT_TRUE(rig_.run_until([&] { return rig_.sqlite().answered_records(id, 0)->size() == 5; }));
  const std::map<std::string, int> before = invoke_.calls;
  // The process dies: a new runner (and core, lifecycle, store connection) takes over the same database.
  rig_.restart();
  invoke_.hang.clear();
  start_runner();
  rig_.start_background();
  ASSERT_TRUE(ends(id, BatchStatus::kCompleted));
  EXPECT_EQ(rig_.batch(id).completed, 9);
  for (int i = 1; i <= 5; ++i) {
    const std::string needle = "question " + std::to_string(i) + "\"";
    for (const auto& [body, count] : invoke_.calls) {
      if (body.find(needle) != std::string::npos) {
        EXPECT_EQ(count, 1) << "answered before the crash: " << needle;
      }
    }
  }
  EXPECT_LE(invoke_.total(), 9 + 3) << "at most the records in flight at the crash run twice";
}

TEST_F(OnDemandTest, AModelWithoutOnDemandFallbackRefusesASmallBatch) {
  config::Settings settings = on_demand_settings();
  settings.models.front().on_demand_fallback = false;
  CoreRig rig("refuse-small", settings);
  storage::FileRecord f;
  f.id = "file-small";
  f.purpose = "batch";
  f.model = "claude-batch";
  f.endpoint = "/v1/chat/completions";
  f.line_count = f.record_count = 2;
  ASSERT_TRUE(rig.sqlite().insert_file(f, test::chat_mappings(2)).has_value());
  CreateBatchParams params;
  params.input_file_id = f.id;
  params.endpoint = "/v1/chat/completions";
  auto refused = rig.run(rig.core().create(Principal{true, {}}, params));
  ASSERT_TRUE(std::holds_alternative<ApiError>(refused));
  EXPECT_EQ(std::get<ApiError>(refused).code, "too_few_requests");
}

}  // namespace
}  // namespace batchgate::batch
