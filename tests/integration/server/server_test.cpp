// The real server (in process) on port 0, spoken to over HTTP.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "config/loader.hpp"
#include "http_test_client.hpp"
#include "server/app.hpp"

namespace batchgate {
namespace {

using nlohmann::json;
using testing::http_call;
using testing::HttpCall;

constexpr const char* kMaster = "sk-master-for-tests";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("batchgate-server-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "bg.db").string();
    std::string yaml = std::string(R"(
model_list:
  - model_name: claude-batch
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: bucket-a/in
      s3_endpoint_url: http://127.0.0.1:9
      aws_access_key_id: AKIDSERVERTEST
      aws_secret_access_key: server-test-secret
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
    model_info: {mode: batch, input_cost_per_token: 0.00000025}
  - model_name: nova-batch
    litellm_params:
      model: bedrock/amazon.nova-lite-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: bucket-a/in
      s3_endpoint_url: http://127.0.0.1:9
      aws_access_key_id: AKIDSERVERTEST
      aws_secret_access_key: server-test-secret
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
    model_info: {mode: batch}
general_settings:
  master_key: )") + kMaster + R"(
  database_path: )" + db_ + R"(
batchgate_settings:
  port: 0
  read_timeout: 1s
  idle_timeout: 2s
  max_header_bytes: 4096
)";
    auto loaded = config::load_from_string(yaml, [](std::string_view) { return std::nullopt; });
    ASSERT_TRUE(loaded.settings) << loaded.errors.front().to_string();
    auto app = App::create(*loaded.settings);
    ASSERT_TRUE(app.has_value()) << app.error();
    app_ = std::move(*app);
    auto port = app_->start();
    ASSERT_TRUE(port.has_value()) << port.error();
    port_ = *port;
  }
  void TearDown() override {
    app_.reset();
    std::filesystem::remove_all(dir_);
  }

  testing::HttpResult call(std::string method, std::string target, std::string key = "", std::string body = "") {
    HttpCall c;
    c.method = std::move(method);
    c.target = std::move(target);
    c.body = std::move(body);
    if (!key.empty()) c.headers["Authorization"] = "Bearer " + key;
    if (!c.body.empty()) c.headers["Content-Type"] = "application/json";
    return http_call(port_, c);
  }

  std::string generate(const json& body) {
    auto r = call("POST", "/key/generate", kMaster, body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("key").get<std::string>();
  }

  static void expect_openai_error(const testing::HttpResult& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    const auto& e = j["error"];
    for (const char* k : {"message", "type", "param", "code"}) EXPECT_TRUE(e.contains(k)) << k << " in " << r.body;
    EXPECT_TRUE(e["message"].is_string());
    EXPECT_FALSE(e["message"].get<std::string>().empty());
  }

  std::filesystem::path dir_;
  std::string db_;
  std::unique_ptr<App> app_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, HealthAndReadinessAnswerWithRequestIds) {
  auto health = call("GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body)["status"], "healthy");
  EXPECT_EQ(health.headers["x-request-id"].rfind("req_", 0), 0u);
  // S3 here is a closed loopback port: the database answers, storage does not, so the gateway is not ready.
  auto ready = call("GET", "/health/readiness");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(json::parse(ready.body)["db"], "connected");
  EXPECT_EQ(json::parse(ready.body)["storage"], "unreachable");
  EXPECT_NE(call("GET", "/health").headers["x-request-id"], health.headers["x-request-id"]);
}

TEST_F(ServerTest, RestrictedKeySeesOnlyItsModel) {
  const std::string key = generate({{"models", {"claude-batch"}}, {"key_alias", "team-a"}});
  EXPECT_EQ(key.rfind("sk-", 0), 0u);
  EXPECT_GE(key.size(), 3u + 22u);  // ≥ 128 random bits in base62

  auto models = call("GET", "/v1/models", key);
  ASSERT_EQ(models.status, 200) << models.body;
  auto j = json::parse(models.body);
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "claude-batch");
  EXPECT_EQ(j["data"][0]["object"], "model");

  auto all = json::parse(call("GET", "/v1/models", kMaster).body);
  EXPECT_EQ(all["data"].size(), 2u);

  auto groups = json::parse(call("GET", "/model_group/info", key).body);
  ASSERT_EQ(groups["data"].size(), 1u);
  EXPECT_EQ(groups["data"][0]["model_group"], "claude-batch");
  EXPECT_EQ(groups["data"][0]["mode"], "batch");
}

TEST_F(ServerTest, UnknownBlockedExpiredAndMissingKeysGet401) {
  expect_openai_error(call("GET", "/v1/models"), 401);
  expect_openai_error(call("GET", "/v1/models", "sk-made-up-key-0000000000"), 401);

  const std::string blocked = generate(json::object());
  ASSERT_EQ(call("GET", "/v1/models", blocked).status, 200);
  ASSERT_EQ(call("POST", "/key/block", kMaster, json{{"key", blocked}}.dump()).status, 200);
  auto r = call("GET", "/v1/models", blocked);
  expect_openai_error(r, 401);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "invalid_api_key");
  ASSERT_EQ(call("POST", "/key/unblock", kMaster, json{{"key", blocked}}.dump()).status, 200);
  EXPECT_EQ(call("GET", "/v1/models", blocked).status, 200);

  const std::string expiring = generate({{"duration", "1s"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto expired = call("GET", "/v1/models", expiring);
  expect_openai_error(expired, 401);
  EXPECT_NE(json::parse(expired.body)["error"]["message"].get<std::string>().find("expired"), std::string::npos);
}

TEST_F(ServerTest, VirtualKeysGet403OnKeyRoutes) {
  const std::string key = generate(json::object());
  for (auto [method, target] : {std::pair{"POST", "/key/generate"}, std::pair{"GET", "/key/list"},
                                std::pair{"GET", "/key/info?key=x"}, std::pair{"POST", "/key/delete"},
                                std::pair{"POST", "/key/update"}, std::pair{"POST", "/key/block"}}) {
    auto r = call(method, target, key, std::string(method) == "POST" ? "{}" : "");
    expect_openai_error(r, 403);
  }
}

TEST_F(ServerTest, KeyLifecycleThroughAdminRoutes) {
  const std::string key = generate({{"models", {"nova-batch"}}, {"max_budget", 5}, {"metadata", {{"team", "x"}}}});
  auto info = call("GET", "/key/info?key=" + key, kMaster);
  ASSERT_EQ(info.status, 200) << info.body;
  auto j = json::parse(info.body);
  EXPECT_EQ(j["info"]["models"], json({"nova-batch"}));
  EXPECT_EQ(j["info"]["max_budget"], 5);
  EXPECT_EQ(j["info"]["spend"], 0);
  EXPECT_EQ(j["info"]["metadata"]["team"], "x");
  EXPECT_EQ(info.body.find(key), std::string::npos) << "key/info must never echo the key";

  auto updated = call("POST", "/key/update", kMaster, json{{"key", key}, {"models", {"claude-batch"}}}.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(json::parse(call("GET", "/v1/models", key).body)["data"][0]["id"], "claude-batch");

  auto bad_model = call("POST", "/key/update", kMaster, json{{"key", key}, {"models", {"gpt-9"}}}.dump());
  expect_openai_error(bad_model, 400);
  EXPECT_EQ(json::parse(bad_model.body)["error"]["param"], "models");

  auto list = json::parse(call("GET", "/key/list", kMaster).body);
  EXPECT_EQ(list["total_count"], 1);

  auto deleted = call("POST", "/key/delete", kMaster, json{{"keys", {key}}}.dump());
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  expect_openai_error(call("GET", "/v1/models", key), 401);
  expect_openai_error(call("GET", "/key/info?key=" + key, kMaster), 404);
}

TEST_F(ServerTest, KeysTableHoldsNoPlaintextKey) {
  const std::string key = generate({{"key_alias", "alias"}});
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT * FROM keys", -1, &st, nullptr), SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
      if (!text) continue;
      EXPECT_EQ(std::string(text).find(key.substr(3)), std::string::npos) << "column " << sqlite3_column_name(st, c);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(rows, 1);
}

TEST_F(ServerTest, BadRequestsGetOpenAIErrors) {
  expect_openai_error(call("GET", "/v1/nothing-here", kMaster), 404);
  expect_openai_error(call("DELETE", "/key/generate", kMaster), 405);
  expect_openai_error(call("POST", "/key/generate", kMaster, "{not json"), 400);
  auto big = call("POST", "/key/generate", kMaster, std::string(200 << 10, ' '));
  expect_openai_error(big, 413);
  HttpCall huge_header;
  huge_header.target = "/health";
  huge_header.headers["X-Filler"] = std::string(8192, 'a');
  expect_openai_error(http_call(port_, huge_header), 431);
}

TEST_F(ServerTest, ChunkedBodiesAndKeepAlive) {
  HttpCall gen;
  gen.method = "POST";
  gen.target = "/key/generate";
  gen.body = R"({"models":["claude-batch"]})";
  gen.chunked = true;
  gen.headers["Authorization"] = std::string("Bearer ") + kMaster;
  HttpCall health;
  health.target = "/health";
  auto [a, b] = testing::http_call_twice(port_, gen, health);
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(json::parse(a.body)["models"], json({"claude-batch"}));
  EXPECT_EQ(b.status, 200);
}

TEST_F(ServerTest, SlowClientsAreCutOff) {
  // Half a request header, then silence: the server must not hold the connection past read_timeout (1 s).
  // It is told why (408, RFC 9110 §15.5.9) before the close.
  auto r = testing::raw_exchange(port_, "GET /health HTTP/1.1\r\nHost: x\r\n", 5000);
  EXPECT_TRUE(r.closed_by_server);
  EXPECT_LT(r.elapsed_ms, 4000);
  EXPECT_EQ(r.received.rfind("HTTP/1.1 408 ", 0), 0u) << r.received;
  EXPECT_NE(r.received.find("request_timeout"), std::string::npos) << r.received;
  // A body that stops arriving: 408 as well, on a buffered route and on a streaming one (uploads).
  const std::string auth = std::string("Authorization: Bearer ") + kMaster + "\r\n";
  auto body = testing::raw_exchange(
      port_, "POST /key/generate HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 100\r\n\r\n{\"models\"",
      5000);
  EXPECT_TRUE(body.closed_by_server);
  EXPECT_LT(body.elapsed_ms, 4000);
  EXPECT_EQ(body.received.rfind("HTTP/1.1 408 ", 0), 0u) << body.received;
  auto upload = testing::raw_exchange(port_,
                                      "POST /v1/files HTTP/1.1\r\nHost: x\r\n" + auth +
                                          "Content-Type: multipart/form-data; boundary=b\r\n"
                                          "Content-Length: 100000\r\n\r\n--b\r\nContent-Disposition: "
                                          "form-data; name=\"purpose\"\r\n\r\nbatch\r\n",
                                      5000);
  EXPECT_TRUE(upload.closed_by_server);
  EXPECT_LT(upload.elapsed_ms, 4000);
  EXPECT_EQ(upload.received.rfind("HTTP/1.1 408 ", 0), 0u) << upload.received;
  // An idle keep-alive connection is closed after idle_timeout (2 s).
  auto idle = testing::raw_exchange(port_, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 6000);
  EXPECT_TRUE(idle.closed_by_server);
  EXPECT_NE(idle.received.find("200 OK"), std::string::npos);
  EXPECT_LT(idle.elapsed_ms, 5000);
}

// LiteLLM serves the OpenAI routes with and without /v1, and under /{provider}/v1: so does batchgate.
TEST_F(ServerTest, RoutesWithAndWithoutV1AndUnderTheProvider) {
  const std::string key = generate({{"models", {"claude-batch"}}});
  for (const char* prefix : {"/v1", "", "/bedrock/v1"}) {
    auto files = call("GET", std::string(prefix) + "/files", key);
    EXPECT_EQ(files.status, 200) << prefix << " " << files.body;
    EXPECT_EQ(json::parse(files.body)["object"], "list");
    auto batches = call("GET", std::string(prefix) + "/batches", key);
    EXPECT_EQ(batches.status, 200) << prefix << " " << batches.body;
    expect_openai_error(call("GET", std::string(prefix) + "/files/file-nope", key), 404);
    expect_openai_error(call("GET", std::string(prefix) + "/batches/batch_nope", key), 404);
  }
  auto models = call("GET", "/models", key);
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(models.body, call("GET", "/v1/models", key).body);

  auto other = call("GET", "/openai/v1/files", key);
  expect_openai_error(other, 400);
  EXPECT_EQ(json::parse(other.body)["error"]["param"], "provider");
  expect_openai_error(call("GET", "/openai/v1/files"), 401);  // authentication comes first
}

TEST_F(ServerTest, ProviderHeaderAndQueryParameterMustNameBedrock) {
  const std::string key = generate(json::object());
  HttpCall c;
  c.target = "/v1/files";
  c.headers["Authorization"] = "Bearer " + key;
  c.headers["custom-llm-provider"] = "bedrock";
  EXPECT_EQ(http_call(port_, c).status, 200);
  c.headers["custom-llm-provider"] = "vertex_ai";
  auto refused = http_call(port_, c);
  expect_openai_error(refused, 400);
  EXPECT_EQ(json::parse(refused.body)["error"]["param"], "custom-llm-provider");
  auto query = call("GET", "/v1/batches?custom_llm_provider=azure", key);
  expect_openai_error(query, 400);
  EXPECT_EQ(json::parse(query.body)["error"]["param"], "custom_llm_provider");
  auto body =
      call("POST", "/v1/batches", key, R"({"custom_llm_provider":"openai","input_file_id":"file-x"})");
  expect_openai_error(body, 400);
  EXPECT_EQ(json::parse(body.body)["error"]["param"], "custom_llm_provider");
}

// LiteLLM's alternative auth header, with or without "Bearer ", and ahead of Authorization.
TEST_F(ServerTest, LiteLLMApiKeyHeaderAuthenticates) {
  const std::string key = generate(json::object());
  for (const std::string& value : {key, "Bearer " + key}) {
    HttpCall c;
    c.target = "/v1/models";
    c.headers["x-litellm-api-key"] = value;
    EXPECT_EQ(http_call(port_, c).status, 200) << value;
    c.headers["Authorization"] = "Bearer sk-not-a-key-000000000000";
    EXPECT_EQ(http_call(port_, c).status, 200) << "x-litellm-api-key wins";
  }
  HttpCall wrong;
  wrong.target = "/key/list";
  wrong.headers["x-litellm-api-key"] = "sk-not-a-key-000000000000";
  wrong.headers["Authorization"] = std::string("Bearer ") + kMaster;
  expect_openai_error(http_call(port_, wrong), 401);
}

// A chunked upload answered before its body is read (unknown route, no key) still gets its JSON answer, and
// a drained body leaves the connection usable.
TEST_F(ServerTest, ErrorsAnsweredBeforeTheBodyReachTheClient) {
  const std::string boundary = "openai-test-boundary";
  const std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.jsonl\"\r\n"
                           "Content-Type: application/octet-stream\r\n\r\n" +
                           std::string(2 << 20, 'x') + "\r\n--" + boundary + "--\r\n";
  HttpCall upload;
  upload.method = "POST";
  upload.body = form;
  upload.chunked = true;
  upload.headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
  HttpCall health;
  health.target = "/health";

  upload.target = "/v1/nowhere";
  auto [missing, after_missing] = testing::http_call_twice(port_, upload, health);
  expect_openai_error(missing, 404);
  EXPECT_EQ(after_missing.status, 200) << "the drained connection carries the next request";

  upload.target = "/files";
  auto [unauthenticated, after_401] = testing::http_call_twice(port_, upload, health);
  expect_openai_error(unauthenticated, 401);
  EXPECT_EQ(after_401.status, 200);

  // Past what is drained before answering (4 MiB): answered, then the rest read and dropped until the
  // client is done, so the client still reads the answer instead of a reset.
  upload.target = "/v1/nowhere";
  upload.body = form + std::string(12 << 20, 'y');
  expect_openai_error(http_call(port_, upload), 404);
  upload.chunked = false;
  expect_openai_error(http_call(port_, upload), 404);
  upload.target = "/key/generate";  // Content-Length over the route's 64 KiB limit: 413
  expect_openai_error(http_call(port_, upload), 413);
}

TEST(AppCreate, RefusesASpoolDirThatIsNotADirectory) {
  const std::string db =
      (std::filesystem::temp_directory_path() / ("batchgate-spool-dir-" + std::to_string(::getpid()) + ".db"))
          .string();
  auto loaded = config::load_from_string(R"(
model_list:
  - model_name: claude-batch
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: bucket-a
      aws_batch_role_arn: arn:aws:iam::123456789012:role/R
    model_info: {mode: batch}
general_settings: {master_key: sk-1234, database_path: )" +
                                             db + R"(}
batchgate_settings: {spool_dir: /nonexistent/batchgate-spool}
)",
                                         [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(loaded.settings) << loaded.errors.front().to_string();
  auto app = App::create(*loaded.settings);
  ASSERT_TRUE(app.has_error());
  EXPECT_NE(
      app.error().find("batchgate_settings.spool_dir '/nonexistent/batchgate-spool' is not a directory"),
      std::string::npos)
      << app.error();
  std::filesystem::remove(db);
}

}  // namespace
}  // namespace batchgate
