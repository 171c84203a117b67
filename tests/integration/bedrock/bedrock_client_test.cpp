// Our BedrockClient against bedrock-emulator (SigV4 verified): the four operations and every error kind,
// the same checks botocore_check.py makes with the official SDK.

#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "emulator_stack.hpp"

namespace batchgate::test {
namespace {

using aws::BedrockErrc;

class BedrockClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new EmulatorStack(); }
  static void TearDownTestSuite() { delete stack_; }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  // A job whose input does not exist: it fails in Validating, which these tests do not wait for.
  aws::CreateJobRequest request(std::string name) {
    return clients_.job_request(std::move(name), "none/in.jsonl", "none/out/");
  }

  template <typename T>
  aws::BedrockError expect_error(aws::BedrockResult<T> result, BedrockErrc kind, std::string_view code,
                                 int status) {
    EXPECT_FALSE(result) << "expected " << code;
    if (result) return {};
    EXPECT_EQ(result.error().kind, kind) << result.error().to_string();
    EXPECT_EQ(result.error().code, code);
    EXPECT_EQ(result.error().http_status, status);
    EXPECT_FALSE(result.error().message.empty());
    return result.error();
  }

  static EmulatorStack* stack_;
  StackClients clients_{*stack_};
};

EmulatorStack* BedrockClientTest::stack_ = nullptr;

TEST_F(BedrockClientTest, CreateGetByArnAndIdIsIdempotent) {
  auto r = request("it-create-1");
  r.client_request_token = "tok-it-create-1";
  r.timeout_duration_in_hours = 24;
  r.tags = {{"team", "ml"}};
  auto arn = clients_.run(clients_.bedrock().create_model_invocation_job(r));
  ASSERT_TRUE(arn) << arn.error().to_string();
  EXPECT_TRUE(std::regex_match(
      *arn, std::regex("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/[a-z0-9]{12}")));

  auto by_arn = clients_.run(clients_.bedrock().get_model_invocation_job(*arn));
  ASSERT_TRUE(by_arn) << by_arn.error().to_string();
  auto by_id = clients_.run(clients_.bedrock().get_model_invocation_job(by_arn->job_id()));
  ASSERT_TRUE(by_id) << by_id.error().to_string();
  EXPECT_EQ(by_id->job_arn, *arn);
  EXPECT_EQ(by_arn->job_name, "it-create-1");
  EXPECT_EQ(by_arn->client_request_token, "tok-it-create-1");
  EXPECT_EQ(by_arn->timeout_duration_in_hours, 24);
  EXPECT_EQ(*by_arn->job_expiration_time - by_arn->submit_time, std::chrono::hours(24));
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - by_arn->submit_time),
            std::chrono::minutes(1));
  EXPECT_EQ(by_arn->input.s3_uri, "s3://" + kBucket + "/none/in.jsonl");

  const auto created_before = clients_.stats()["jobsCreated"];
  auto again = clients_.run(clients_.bedrock().create_model_invocation_job(r));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *arn);
  EXPECT_EQ(clients_.stats()["jobsCreated"], created_before);

  const auto failed = clients_.wait_for(*arn, {"Failed"});
  ASSERT_TRUE(failed.message);
  EXPECT_TRUE(failed.end_time);
}

TEST_F(BedrockClientTest, ListPagesNewestFirst) {
  std::vector<std::string> arns;
  for (int i = 0; i < 7; ++i) {
    auto arn =
        clients_.run(clients_.bedrock().create_model_invocation_job(request("it-page-" + std::to_string(i))));
    ASSERT_TRUE(arn) << arn.error().to_string();
    arns.push_back(*arn);
  }
  aws::ListJobsRequest list;
  list.max_results = 3;
  list.name_contains = "it-page-";
  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  for (;;) {
    auto page = clients_.run(clients_.bedrock().list_model_invocation_jobs(list));
    ASSERT_TRUE(page) << page.error().to_string();
    sizes.push_back(page->jobs.size());
    for (const auto& job : page->jobs) seen.push_back(job.job_arn);
    if (!page->next_token) break;
    list.next_token = page->next_token;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(seen, std::vector<std::string>(arns.rbegin(), arns.rend()));

  aws::ListJobsRequest ascending;
  ascending.name_contains = "it-page-";
  ascending.sort_by = "CreationTime";
  ascending.sort_order = "Ascending";
  ascending.submit_time_after = std::chrono::system_clock::now() - std::chrono::hours(1);
  auto all = clients_.run(clients_.bedrock().list_model_invocation_jobs(ascending));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->jobs.size(), 7u);
  EXPECT_EQ(all->jobs.front().job_arn, arns.front());
}

TEST_F(BedrockClientTest, StopThenStopAgain) {
  ASSERT_EQ(clients_.configure({{"submittedSeconds", 30}}), 200);
  auto arn = clients_.run(clients_.bedrock().create_model_invocation_job(request("it-stop")));
  ASSERT_EQ(clients_.configure({{"submittedSeconds", 0.1}}), 200);
  ASSERT_TRUE(arn);
  auto stopped = clients_.run(clients_.bedrock().stop_model_invocation_job(*arn));
  ASSERT_TRUE(stopped) << stopped.error().to_string();
  EXPECT_EQ(clients_.wait_for(*arn, {"Stopped"}).status, "Stopped");
  const auto error = expect_error(clients_.run(clients_.bedrock().stop_model_invocation_job(*arn)),
                                  BedrockErrc::kValidation, "ValidationException", 400);
  EXPECT_NE(error.message.find("State was: Stopped"), std::string::npos) << error.message;
}

TEST_F(BedrockClientTest, ErrorKinds) {
  auto bad = request("it_underscore");
  expect_error(clients_.run(clients_.bedrock().create_model_invocation_job(bad)), BedrockErrc::kValidation,
               "ValidationException", 400);
  auto long_timeout = request("it-timeout");
  long_timeout.timeout_duration_in_hours = 200;
  expect_error(clients_.run(clients_.bedrock().create_model_invocation_job(long_timeout)),
               BedrockErrc::kValidation, "ValidationException", 400);
  expect_error(clients_.run(clients_.bedrock().get_model_invocation_job("zzzzzzzzzzzz")),
               BedrockErrc::kNotFound, "ResourceNotFoundException", 404);
  expect_error(clients_.run(clients_.bedrock().stop_model_invocation_job(
                   "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/zzzzzzzzzzzz")),
               BedrockErrc::kNotFound, "ResourceNotFoundException", 404);

  ASSERT_EQ(clients_.configure({{"forceQuotaExceeded", true}}), 200);
  expect_error(clients_.run(clients_.bedrock().create_model_invocation_job(request("it-quota"))),
               BedrockErrc::kQuotaExceeded, "ServiceQuotaExceededException", 400);
  ASSERT_EQ(clients_.configure({{"forceQuotaExceeded", false}, {"throttleRate", 1.0}}), 200);
  expect_error(clients_.run(clients_.bedrock().list_model_invocation_jobs({})), BedrockErrc::kThrottling,
               "ThrottlingException", 429);
  ASSERT_EQ(clients_.configure({{"throttleRate", 0.0}, {"serverErrorRate", 1.0}}), 200);
  expect_error(clients_.run(clients_.bedrock().list_model_invocation_jobs({})), BedrockErrc::kInternal,
               "InternalServerException", 500);
  ASSERT_EQ(clients_.configure({{"serverErrorRate", 0.0}}), 200);
}

TEST_F(BedrockClientTest, RetriesRideOutThrottling) {
  StackClients patient(*stack_, {}, {}, 8);
  ASSERT_EQ(clients_.configure({{"throttleRate", 0.5}}), 200);
  for (int i = 0; i < 5; ++i) {
    auto page = patient.run(patient.bedrock().list_model_invocation_jobs({}));
    EXPECT_TRUE(page) << page.error().to_string();
  }
  ASSERT_EQ(clients_.configure({{"throttleRate", 0.0}}), 200);
}

TEST_F(BedrockClientTest, SignatureErrors) {
  StackClients wrong_secret(*stack_, "not-the-secret");
  expect_error(wrong_secret.run(wrong_secret.bedrock().list_model_invocation_jobs({})),
               BedrockErrc::kAccessDenied, "InvalidSignatureException", 403);
  StackClients unknown_key(*stack_, "whatever", "AKIDUNKNOWN000000000");
  expect_error(unknown_key.run(unknown_key.bedrock().get_model_invocation_job("zzzzzzzzzzzz")),
               BedrockErrc::kAccessDenied, "UnrecognizedClientException", 403);
}

TEST_F(BedrockClientTest, UnreachableEndpointIsATransportError) {
  boost::asio::io_context io;
  aws::HttpClient http(io.get_executor());
  aws::BedrockConfig config;
  config.endpoint_url = "http://127.0.0.1:" + std::to_string(free_port());
  config.credentials = aws::static_credentials(aws::Credentials{"AKID", "SECRET", std::nullopt});
  config.retry.max_attempts = 1;
  aws::BedrockClient client(http, config);
  auto result = run_coroutine(io, client.get_model_invocation_job("abcdefghij12"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, BedrockErrc::kOther);
  EXPECT_EQ(result.error().http_status, 0);
}

}  // namespace
}  // namespace batchgate::test
