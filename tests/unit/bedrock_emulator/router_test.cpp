#include "router.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// The exact bytes botocore sends (spec/bedrock-batch.md §3) and their signature (aws-sigv4-s3.md §2.3).
constexpr const char* kSpecBody =
    R"({"jobName": "my-job-1", "roleArn": "arn:aws:iam::123456789012:role/BedrockBatchRole", "clientRequestToken": "tok-123", "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://in-bucket/batch/job1/input.jsonl", "s3InputFormat": "JSONL"}}, "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://out-bucket/batch/job1/"}}, "timeoutDurationInHours": 24, "tags": [{"key": "k", "value": "v"}]})";

class EmulatorRouterTest : public testing::Test {
 protected:
  EmulatorRouterTest()
      : now_(*parse_iso8601("2024-01-15T12:00:00Z")),
        store_(
            StoreSettings{}, [this] { return now_; }, [] { return std::string("abcdefghij12"); }),
        router_(
            store_, knobs_, auth(), [this] { return random_; },
            [this](Job& job) { started_.push_back(job.id); }) {}

  static AuthSettings auth() {
    AuthSettings a;
    a.secrets["AKIDEXAMPLE"] = kSecret;
    return a;
  }

  EmulatorRequest signed_request(std::string method, std::string target, std::string body,
                                 std::string secret = kSecret, std::string akid = "AKIDEXAMPLE") {
    EmulatorRequest r{
        std::move(method), std::move(target), {{"Host", "bedrock.us-east-1.amazonaws.com"}}, std::move(body)};
    if (!r.body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    aws::SigningRequest s;
    s.method = r.method;
    s.host = "bedrock.us-east-1.amazonaws.com";
    const auto q = r.target.find('?');
    s.path = r.target.substr(0, q);
    if (q != std::string::npos) s.query = aws::parse_query_string(r.target.substr(q + 1));
    s.headers = r.headers;
    s.payload_hash = aws::sha256_hex(r.body);
    for (auto& h : aws::sign(s, aws::Credentials{akid, secret, std::nullopt}, "us-east-1", "bedrock", now_)) {
      r.headers.push_back(std::move(h));
    }
    return r;
  }

  static std::string error_type(const EmulatorResponse& r) {
    const auto header = aws::find_header(r.headers, "x-amzn-ErrorType");
    EXPECT_TRUE(header);
    EXPECT_EQ(json::parse(r.body)["__type"], header.value_or(""));
    return std::string(header.value_or(""));
  }

  TimePoint now_;
  double random_ = 0.5;
  Knobs knobs_;
  JobStore store_;
  Router router_;
  std::vector<std::string> started_;
};

TEST_F(EmulatorRouterTest, AcceptsBotocoreWireBytesOfSpecVector) {
  EmulatorRequest r{"POST",
                    "/model-invocation-job",
                    {{"Host", "bedrock.us-east-1.amazonaws.com"},
                     {"Content-Type", "application/json"},
                     {"User-Agent", "Boto3/1.43.11"},
                     {"X-Amz-Date", "20240115T120000Z"},
                     {"Authorization",
                      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/bedrock/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-date, "
                      "Signature=f77d9d32fdb151da8f1d00f6673933d82d34e029259a8a5e0f318f163f8139cc"}},
                    kSpecBody};
  const auto response = router_.handle(r);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body)["jobArn"],
            "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12");
  EXPECT_EQ(started_.size(), 1u);
  EXPECT_TRUE(aws::find_header(response.headers, "x-amzn-RequestId"));

  // Get by ARN: the path label is percent-encoded once on the wire, twice in the canonical URI.
  EmulatorRequest get{"GET",
                      "/model-invocation-job/"
                      "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Amodel-invocation-job%2Fabcdefghij12",
                      {{"Host", "bedrock.us-east-1.amazonaws.com"},
                       {"X-Amz-Date", "20240115T120000Z"},
                       {"Authorization",
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/bedrock/aws4_request, "
                        "SignedHeaders=host;x-amz-date, "
                        "Signature=b0aa567e408d6494a074b238d544067de846dae55454014bf9b0651e47594b79"}},
                      ""};
  const auto got = router_.handle(get);
  ASSERT_EQ(got.status, 200) << got.body;
  const json job = json::parse(got.body);
  EXPECT_EQ(job["status"], "Submitted");
  EXPECT_EQ(job["jobName"], "my-job-1");
  EXPECT_EQ(job["timeoutDurationInHours"], 24);
  EXPECT_EQ(job["clientRequestToken"], "tok-123");
}

TEST_F(EmulatorRouterTest, SignatureFailures) {
  auto wrong_secret = router_.handle(signed_request("GET", "/model-invocation-jobs", "", "other-secret"));
  EXPECT_EQ(wrong_secret.status, 403);
  EXPECT_EQ(error_type(wrong_secret), "InvalidSignatureException");

  auto unknown_key =
      router_.handle(signed_request("GET", "/model-invocation-jobs", "", kSecret, "AKIDUNKNOWN"));
  EXPECT_EQ(unknown_key.status, 403);
  EXPECT_EQ(error_type(unknown_key), "UnrecognizedClientException");

  auto tampered = signed_request("GET", "/model-invocation-jobs?maxResults=5", "");
  tampered.target = "/model-invocation-jobs?maxResults=6";
  EXPECT_EQ(error_type(router_.handle(tampered)), "InvalidSignatureException");

  EmulatorRequest unsigned_request{"GET", "/model-invocation-jobs", {{"Host", "x"}}, ""};
  EXPECT_EQ(error_type(router_.handle(unsigned_request)), "MissingAuthenticationTokenException");

  auto old = signed_request("GET", "/model-invocation-jobs", "");
  now_ += std::chrono::minutes(20);
  EXPECT_EQ(error_type(router_.handle(old)), "InvalidSignatureException");
}

TEST(EmulatorRouterSession, TemporaryCredentialsOnlyWhenAccepted) {
  TimePoint now = *parse_iso8601("2024-01-15T12:00:00Z");
  JobStore store(
      StoreSettings{}, [&] { return now; }, [] { return std::string("abcdefghij12"); });
  Knobs knobs;
  AuthSettings auth;
  auth.secrets["AKIDEXAMPLE"] = kSecret;
  EmulatorRequest request{"GET", "/model-invocation-jobs", {{"Host", "bedrock.us-east-1.amazonaws.com"}}, ""};
  aws::SigningRequest s{"GET",
                        "bedrock.us-east-1.amazonaws.com",
                        "/model-invocation-jobs",
                        {},
                        request.headers,
                        aws::sha256_hex("")};
  for (auto& h : aws::sign(s, aws::Credentials{"ASIATEMPORARY", "temp-secret", "SESSION"}, "us-east-1",
                           "bedrock", now)) {
    request.headers.push_back(std::move(h));
  }
  Router strict(store, knobs, auth, [] { return 0.5; }, {});
  EXPECT_EQ(strict.handle(request).status, 403);
  auth.accept_session_credentials = true;
  Router lenient(store, knobs, auth, [] { return 0.5; }, {});
  EXPECT_EQ(lenient.handle(request).status, 200);
  request.headers.erase(
      std::remove_if(request.headers.begin(), request.headers.end(),
                     [](const auto& h) { return aws::iequals(h.name, "X-Amz-Security-Token"); }),
      request.headers.end());
  EXPECT_EQ(lenient.handle(request).status, 403);  // no session token: the unknown key is refused
}

TEST_F(EmulatorRouterTest, OperationsAndErrors) {
  ASSERT_EQ(router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody)).status, 200);
  // Same token → same ARN, no second job (spec §3).
  const auto again = router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody));
  EXPECT_EQ(json::parse(again.body)["jobArn"],
            "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12");
  EXPECT_EQ(store_.created_count(), 1u);
  EXPECT_EQ(started_.size(), 1u);

  json bad = json::parse(kSpecBody);
  bad["jobName"] = "my_job";
  const auto invalid = router_.handle(signed_request("POST", "/model-invocation-job", bad.dump()));
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(error_type(invalid), "ValidationException");

  const auto missing = router_.handle(signed_request("GET", "/model-invocation-job/zzzzzzzzzzzz", ""));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error_type(missing), "ResourceNotFoundException");

  const auto stop = router_.handle(signed_request("POST", "/model-invocation-job/abcdefghij12/stop", ""));
  EXPECT_EQ(stop.status, 200);
  EXPECT_EQ(stop.body, "{}");
  Job* job = store_.find("abcdefghij12");
  store_.transition(*job, JobStatus::kStopped);
  const auto stop_again =
      router_.handle(signed_request("POST", "/model-invocation-job/abcdefghij12/stop", ""));
  EXPECT_EQ(error_type(stop_again), "ValidationException");
  EXPECT_NE(json::parse(stop_again.body)["message"].get<std::string>().find("State was: Stopped"),
            std::string::npos);

  const auto list =
      router_.handle(signed_request("GET", "/model-invocation-jobs?maxResults=10&sortOrder=Ascending", ""));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["invocationJobSummaries"].size(), 1u);
  EXPECT_FALSE(json::parse(list.body).contains("nextToken"));

  const auto bad_list = router_.handle(signed_request("GET", "/model-invocation-jobs?maxResults=0", ""));
  EXPECT_EQ(error_type(bad_list), "ValidationException");

  json unknown_model = json::parse(kSpecBody);
  unknown_model["modelId"] = "cohere.command-r-v1:0";
  unknown_model.erase("clientRequestToken");
  const auto refused = router_.handle(signed_request("POST", "/model-invocation-job", unknown_model.dump()));
  EXPECT_EQ(error_type(refused), "ValidationException");
}

TEST_F(EmulatorRouterTest, FaultInjectionAndQuota) {
  knobs_.throttle_rate = 1.0;
  const auto throttled = router_.handle(signed_request("GET", "/model-invocation-jobs", ""));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(error_type(throttled), "ThrottlingException");
  knobs_.throttle_rate = 0.0;
  knobs_.server_error_rate = 0.6;
  const auto failed = router_.handle(signed_request("GET", "/model-invocation-jobs", ""));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(error_type(failed), "InternalServerException");
  knobs_.server_error_rate = 0.0;
  knobs_.force_quota_exceeded = true;
  const auto quota = router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody));
  EXPECT_EQ(quota.status, 400);
  EXPECT_EQ(error_type(quota), "ServiceQuotaExceededException");
}

// quotaExceededFirstN refuses the next N new jobs, botocore-shaped, then lets them through; a create that
// repeats a known token gets its job and uses up no refusal.
TEST_F(EmulatorRouterTest, QuotaRefusalsForTheNextNCreates) {
  ASSERT_EQ(router_.handle({"POST", "/_emulator/config", {}, R"({"quotaExceededFirstN":2})"}).status, 200);
  for (int i = 0; i < 2; ++i) {
    const auto refused = router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody));
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(error_type(refused), "ServiceQuotaExceededException");
    EXPECT_NE(json::parse(refused.body)["message"].get<std::string>().find("maximum number"),
              std::string::npos);
  }
  EXPECT_EQ(knobs_.quota_exceeded_first_n, 0);
  ASSERT_EQ(router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody)).status, 200);
  knobs_.quota_exceeded_first_n = 1;
  EXPECT_EQ(router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody)).status, 200)
      << "the same clientRequestToken returns its job";
  EXPECT_EQ(knobs_.quota_exceeded_first_n, 1);
  const auto stats = json::parse(router_.handle({"GET", "/_emulator/stats", {}, ""}).body);
  EXPECT_EQ(stats["jobsCreated"], 1);
  EXPECT_EQ(stats["createCalls"], 4);
  EXPECT_EQ(stats["peakActiveJobs"], 1);
}

TEST_F(EmulatorRouterTest, AdminEndpointsAreUnsigned) {
  const auto set =
      router_.handle({"POST", "/_emulator/config", {}, R"({"throttleRate":0.25,"minRecords":5})"});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(knobs_.throttle_rate, 0.25);
  EXPECT_EQ(knobs_.limits.min_records, 5);
  const auto bad = router_.handle({"POST", "/_emulator/config", {}, R"({"throttleRate":2})"});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(knobs_.throttle_rate, 0.25);
  const auto unknown = router_.handle({"POST", "/_emulator/config", {}, R"({"nope":1})"});
  EXPECT_EQ(unknown.status, 400);
  knobs_.throttle_rate = 0;
  router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody));
  const auto stats = json::parse(router_.handle({"GET", "/_emulator/stats", {}, ""}).body);
  EXPECT_EQ(stats["jobsCreated"], 1);
  EXPECT_EQ(stats["jobsByStatus"]["Submitted"], 1);
}

// stopConflict: Stop is answered ConflictException (400, spec §7) while the stop takes effect; every Stop
// is counted in the stats.
TEST_F(EmulatorRouterTest, StopConflictKnob) {
  ASSERT_EQ(router_.handle(signed_request("POST", "/model-invocation-job", kSpecBody)).status, 200);
  const auto set = router_.handle({"POST", "/_emulator/config", {}, R"({"stopConflict":true})"});
  ASSERT_EQ(set.status, 200) << set.body;
  const auto stop = router_.handle(signed_request("POST", "/model-invocation-job/abcdefghij12/stop", ""));
  EXPECT_EQ(stop.status, 400);
  EXPECT_EQ(error_type(stop), "ConflictException");
  EXPECT_EQ(store_.find("abcdefghij12")->status, JobStatus::kStopping);
  const auto stats = json::parse(router_.handle({"GET", "/_emulator/stats", {}, ""}).body);
  EXPECT_EQ(stats["stopCalls"], 1);
  const auto layout = router_.handle({"POST", "/_emulator/config", {}, R"({"outputLayout":"sideways"})"});
  EXPECT_EQ(layout.status, 400);
  const auto knobs =
      router_.handle({"POST", "/_emulator/config", {}, R"({"outputLayout":"flat","failAfterFraction":0.5})"});
  ASSERT_EQ(knobs.status, 200) << knobs.body;
  EXPECT_EQ(json::parse(knobs.body)["outputLayout"], "flat");
  EXPECT_EQ(knobs_.processing.fail_after_fraction, 0.5);
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
