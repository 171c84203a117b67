// InvokeModel's knobs (latency, throttling, server errors, injected model errors, throttling of the first
// calls of each body) and its counters and admin endpoints.

#include <algorithm>

#include "options.hpp"
#include "runtime_fixture.hpp"

namespace batchgate::bedrock_emulator {
namespace {

using nlohmann::json;

TEST_F(EmulatorInvokeTest, BatchAndInvokeFaultKnobsAreSeparate) {
  knobs_.throttle_rate = 1.0;
  knobs_.server_error_rate = 1.0;
  EXPECT_EQ(invoke(kClaude, claude_body("a")).status, 200);
  knobs_ = Knobs{};
  knobs_.invoke.throttle_rate = 1.0;
  EXPECT_EQ(router_.handle(signed_request("GET", "/model-invocation-jobs", "", {})).status, 200);
  const auto throttled = invoke(kClaude, claude_body("a"));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(error_type(throttled), "ThrottlingException");
}

TEST_F(EmulatorInvokeTest, ServerErrorsAreSplitBetween500And503) {
  knobs_.invoke.server_error_rate = 0.8;
  random_ = 0.2;
  const auto internal = invoke(kClaude, claude_body("a"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(error_type(internal), "InternalServerException");
  random_ = 0.7;
  const auto unavailable = invoke(kClaude, claude_body("a"));
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(error_type(unavailable), "ServiceUnavailableException");
  random_ = 0.9;
  EXPECT_EQ(invoke(kClaude, claude_body("a")).status, 200);
  // Only the call that got through reached the model.
  EXPECT_EQ(router_.invocations().invocations(), 1u);
}

TEST_F(EmulatorInvokeTest, FirstCallsOfEachBodyAreThrottled) {
  knobs_.invoke.throttle_first_n = 2;
  const std::string a = claude_body("first");
  const std::string b = claude_body("second");
  EXPECT_EQ(invoke(kClaude, a).status, 429);
  EXPECT_EQ(invoke(kClaude, b).status, 429);
  EXPECT_EQ(invoke(kClaude, a).status, 429);
  EXPECT_EQ(invoke(kClaude, a).status, 200);
  EXPECT_EQ(invoke(kClaude, b).status, 429);
  EXPECT_EQ(invoke(kClaude, b).status, 200);
  EXPECT_EQ(admin("GET", "/_emulator/invocations")["counts"],
            json({{aws::sha256_hex(a), 1}, {aws::sha256_hex(b), 1}}));
  admin("POST", "/_emulator/reset-invocations");
  EXPECT_EQ(invoke(kClaude, a).status, 429);  // the per-body call counts start over too
}

TEST_F(EmulatorInvokeTest, InjectedFailuresFollowTheBody) {
  knobs_.invoke.failure_rate = 0.5;
  std::vector<int> first;
  for (int i = 0; i < 40; ++i) first.push_back(invoke(kClaude, claude_body("q" + std::to_string(i))).status);
  EXPECT_NE(std::count(first.begin(), first.end(), 424), 0);
  EXPECT_NE(std::count(first.begin(), first.end(), 200), 0);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(invoke(kClaude, claude_body("q" + std::to_string(i))).status, first[i]) << "retry " << i;
  }
  const auto failing = std::find(first.begin(), first.end(), 424) - first.begin();
  const std::string body = claude_body("q" + std::to_string(failing));
  const auto model_error = invoke(kClaude, body);
  EXPECT_EQ(error_type(model_error), "ModelErrorException");
  EXPECT_EQ(json::parse(model_error.body)["originalStatusCode"], 500);
  knobs_.invoke.failure_code = 408;
  const auto timeout = invoke(kClaude, body);
  EXPECT_EQ(timeout.status, 408);
  EXPECT_EQ(error_type(timeout), "ModelTimeoutException");
  // Failed invocations reached the model: every call above counts.
  EXPECT_EQ(router_.invocations().invocations(), 82u);
  knobs_.invoke.failure_rate = 0.0;
  EXPECT_EQ(invoke(kClaude, body).status, 200);
}

TEST_F(EmulatorInvokeTest, LatencyIsAskedOfTheServerForInvocationsOnly) {
  knobs_.invoke.latency_ms = 250;
  const auto answered = invoke(kClaude, claude_body("a"));
  EXPECT_EQ(answered.delay, std::chrono::milliseconds(250));
  EXPECT_EQ(header(answered, "X-Amzn-Bedrock-Invocation-Latency"), "250");
  EXPECT_EQ(invoke(kClaude, R"({"prompt":1})").delay, std::chrono::milliseconds(250));  // a model error
  knobs_.invoke.throttle_rate = 1.0;
  EXPECT_EQ(invoke(kClaude, claude_body("a")).delay, std::chrono::milliseconds(0));
  EXPECT_EQ(router_.handle(signed_request("GET", "/model-invocation-jobs", "", {})).delay,
            std::chrono::milliseconds(0));
}

TEST_F(EmulatorInvokeTest, CountersStatsAndReset) {
  const std::string a = claude_body("a");
  invoke(kClaude, a);
  invoke(kClaude, a);
  invoke("amazon.titan-embed-text-v2:0", R"({"inputText":"x"})");
  const json stats = admin("GET", "/_emulator/stats");
  EXPECT_EQ(stats["invocations"], 3);
  EXPECT_EQ(stats["invocationsByModel"], json({{kClaude, 2}, {"amazon.titan-embed-text-v2:0", 1}}));
  EXPECT_EQ(stats["jobsCreated"], 0);
  const json counts = admin("GET", "/_emulator/invocations")["counts"];
  EXPECT_EQ(counts, json({{aws::sha256_hex(a), 2}, {aws::sha256_hex(R"({"inputText":"x"})"), 1}}));
  EXPECT_EQ(admin("POST", "/_emulator/reset-invocations"), json::object());
  const json after = admin("GET", "/_emulator/stats");
  EXPECT_EQ(after["invocations"], 0);
  EXPECT_EQ(after["invocationsByModel"], json::object());
  EXPECT_EQ(admin("GET", "/_emulator/invocations")["counts"], json::object());
  EXPECT_EQ(router_.handle({"GET", "/_emulator/reset-invocations", {}, ""}).status, 404);
}

TEST_F(EmulatorInvokeTest, KnobsThroughTheConfigEndpoint) {
  const json set = admin("POST", "/_emulator/config",
                         R"({"invokeLatencyMs":40,"invokeThrottleRate":0.1,"invokeServerErrorRate":0.2,
                             "invokeFailureRate":0.3,"invokeFailureCode":503,"invokeThrottleFirstN":2})");
  EXPECT_EQ(set["invokeLatencyMs"], 40);
  EXPECT_EQ(set["invokeFailureCode"], 503);
  EXPECT_EQ(knobs_.invoke.throttle_first_n, 2);
  EXPECT_EQ(knobs_.invoke.server_error_rate, 0.2);
  EXPECT_EQ(knobs_.throttle_rate, 0.0);
  for (const char* bad :
       {R"({"invokeFailureCode":418})", R"({"invokeFailureCode":424.5})", R"({"invokeLatencyMs":-1})",
        R"({"invokeLatencyMs":1.5})", R"({"invokeThrottleRate":2})", R"({"invokeThrottleFirstN":-3})",
        R"({"invokeLatencyMs":0,"invokeNope":1})"}) {
    const auto response = router_.handle({"POST", "/_emulator/config", {}, bad});
    EXPECT_EQ(response.status, 400) << bad;
  }
  EXPECT_EQ(knobs_.invoke.latency_ms, 40);  // a refused update changes nothing
  EXPECT_EQ(knobs_.invoke.failure_code, 503);
  const json defaults = knobs_to_json(Knobs{}, StoreSettings{});
  EXPECT_EQ(defaults["invokeLatencyMs"], 0);
  EXPECT_EQ(defaults["invokeFailureCode"], 424);
  EXPECT_EQ(defaults["invokeThrottleFirstN"], 0);
}

TEST(EmulatorOptions, InvokeKnobFlags) {
  const auto parsed = parse_options({"--no-auth", "--invoke-latency-ms", "15", "--invoke-throttle-first-n=1",
                                     "--invoke-failure-code", "429", "--invoke-throttle-rate", "0.5",
                                     "--invoke-server-error-rate", "0.25", "--invoke-failure-rate", "0.1"},
                                    [](const char*) { return std::optional<std::string>(); });
  ASSERT_TRUE(std::holds_alternative<Options>(parsed)) << std::get<std::string>(parsed);
  const json& knobs = std::get<Options>(parsed).knobs;
  EXPECT_EQ(knobs, json({{"invokeLatencyMs", 15},
                         {"invokeThrottleFirstN", 1},
                         {"invokeFailureCode", 429},
                         {"invokeThrottleRate", 0.5},
                         {"invokeServerErrorRate", 0.25},
                         {"invokeFailureRate", 0.1}}));
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
