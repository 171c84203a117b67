#include <gtest/gtest.h>

#include "server/api/batches.hpp"
#include "server/batch/bedrock_job_runner.hpp"

namespace batchgate::api {
namespace {

using nlohmann::json;

TEST(BatchesApi, ParsesCreateRequests) {
  auto ok = parse_create_batch(json{{"input_file_id", "file-1"},
                                    {"endpoint", "/v1/chat/completions"},
                                    {"completion_window", "24h"},
                                    {"metadata", {{"k", "v"}}}});
  ASSERT_TRUE(std::holds_alternative<CreateBatchParams>(ok));
  EXPECT_EQ(std::get<CreateBatchParams>(ok).timeout_hours, 24);
  auto week = parse_create_batch(
      json{{"input_file_id", "f"}, {"endpoint", "/v1/embeddings"}, {"completion_window", "168h"}});
  EXPECT_EQ(std::get<CreateBatchParams>(week).timeout_hours, 168);
  EXPECT_FALSE(std::get<CreateBatchParams>(week).output_expires_seconds);
  auto expiring =
      parse_create_batch(json{{"input_file_id", "f"},
                              {"endpoint", "/v1/chat/completions"},
                              {"completion_window", "24h"},
                              {"output_expires_after", {{"anchor", "created_at"}, {"seconds", 7200}}}});
  ASSERT_TRUE(std::holds_alternative<CreateBatchParams>(expiring));
  EXPECT_EQ(std::get<CreateBatchParams>(expiring).output_expires_seconds, 7200);

  struct Row {
    json body;
    const char* param;
  };
  json many = json::object();
  for (int i = 0; i < 17; ++i) many["k" + std::to_string(i)] = "v";
  const Row rows[] = {
      {json{{"endpoint", "/v1/chat/completions"}, {"completion_window", "24h"}}, "input_file_id"},
      {json{{"input_file_id", "f"}, {"endpoint", "/v1/completions"}, {"completion_window", "24h"}},
       "endpoint"},
      {json{{"input_file_id", "f"}, {"endpoint", "/v1/chat/completions"}, {"completion_window", "12h"}},
       "completion_window"},
      {json{{"input_file_id", "f"}, {"endpoint", "/v1/chat/completions"}, {"completion_window", "200h"}},
       "completion_window"},
      {json{{"input_file_id", "f"},
            {"endpoint", "/v1/chat/completions"},
            {"completion_window", "24h"},
            {"metadata", many}},
       "metadata"},
      {json{{"input_file_id", "f"},
            {"endpoint", "/v1/chat/completions"},
            {"completion_window", "24h"},
            {"metadata", {{"k", 1}}}},
       "metadata"},
      {json{{"input_file_id", "f"},
            {"endpoint", "/v1/chat/completions"},
            {"completion_window", "24h"},
            {"output_expires_after", 3600}},
       "output_expires_after"},
      {json{{"input_file_id", "f"},
            {"endpoint", "/v1/chat/completions"},
            {"completion_window", "24h"},
            {"output_expires_after", {{"anchor", "completed_at"}, {"seconds", 3600}}}},
       "output_expires_after.anchor"},
      {json{{"input_file_id", "f"},
            {"endpoint", "/v1/chat/completions"},
            {"completion_window", "24h"},
            {"output_expires_after", {{"anchor", "created_at"}, {"seconds", 60}}}},
       "output_expires_after.seconds"},
      {json{{"input_file_id", "f"},
            {"endpoint", "/v1/chat/completions"},
            {"completion_window", "24h"},
            {"output_expires_after", {{"anchor", "created_at"}, {"seconds", 2592001}}}},
       "output_expires_after.seconds"},
  };
  for (const auto& r : rows) {
    auto got = parse_create_batch(r.body);
    ASSERT_TRUE(std::holds_alternative<ApiError>(got)) << r.body;
    EXPECT_EQ(std::get<ApiError>(got).param, r.param) << r.body;
    EXPECT_EQ(http_status(std::get<ApiError>(got).kind), 400);
  }
}

TEST(BatchesApi, ChecksRecordLimitsAndEndpoint) {
  config::Model model;
  model.model_name = "m";
  model.mode = "batch";
  model.min_batch_records = 100;
  model.max_batch_records = 1000;
  storage::FileRecord f;
  f.id = "file-1";
  f.purpose = "batch";
  f.endpoint = "/v1/chat/completions";
  f.model = "m";
  CreateBatchParams p;
  p.endpoint = "/v1/chat/completions";
  f.record_count = 99;
  EXPECT_FALSE(batch::check_batch_input(p, f, &model)) << "a small batch runs on demand";
  model.on_demand_fallback = false;
  auto few = batch::check_batch_input(p, f, &model);
  ASSERT_TRUE(few);
  EXPECT_EQ(few->code, "too_few_requests");
  EXPECT_NE(few->message.find("at least 100"), std::string::npos);
  EXPECT_NE(few->message.find("on_demand_fallback"), std::string::npos);
  f.record_count = 1001;
  EXPECT_EQ(batch::check_batch_input(p, f, &model)->code, "too_many_requests");
  f.record_count = 100;
  EXPECT_FALSE(batch::check_batch_input(p, f, &model));
  p.endpoint = "/v1/embeddings";
  EXPECT_EQ(batch::check_batch_input(p, f, &model)->param, "endpoint");
  EXPECT_TRUE(batch::check_batch_input(p, f, nullptr));
}

TEST(BatchesApi, BedrockNamesAreDerivedAndValid) {
  const std::string token = batch::client_request_token("batch_AbC123", 0);
  EXPECT_EQ(token, batch::client_request_token("batch_AbC123", 0));  // stable: a resumed create reuses it
  EXPECT_EQ(token.find('_'), std::string::npos);
  EXPECT_EQ(batch::job_name("batch_AbC123", 0).find('_'), std::string::npos);
  EXPECT_NE(token, batch::client_request_token("batch_Other1", 0));
}

TEST(BatchesApi, BatchObjectHasEveryKey) {
  storage::BatchRecord b;
  b.id = "batch_1";
  b.endpoint = "/v1/chat/completions";
  b.input_file_id = "file-1";
  b.status = storage::BatchStatus::kFailed;
  b.errors_json = R"([{"code":"x","message":"m","param":null,"line":null}])";
  auto j = batch_json(b);
  for (const char* k : {"id",
                        "object",
                        "endpoint",
                        "errors",
                        "input_file_id",
                        "completion_window",
                        "status",
                        "output_file_id",
                        "error_file_id",
                        "created_at",
                        "in_progress_at",
                        "expires_at",
                        "finalizing_at",
                        "completed_at",
                        "failed_at",
                        "expired_at",
                        "cancelling_at",
                        "cancelled_at",
                        "request_counts",
                        "metadata"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["object"], "batch");
  EXPECT_EQ(j["errors"]["object"], "list");
  EXPECT_EQ(j["errors"]["data"][0]["code"], "x");
  EXPECT_TRUE(j["output_file_id"].is_null());
  EXPECT_FALSE(j.contains("queue_position"));
}

// queue_position is shown only while the batch waits in validating for a slot of its model's job quota.
TEST(BatchesApi, QueuePositionOnlyWhileQueued) {
  storage::BatchRecord b;
  b.id = "batch_1";
  b.status = storage::BatchStatus::kValidating;
  EXPECT_EQ(batch_json(b, 2)["queue_position"], 2);
  EXPECT_FALSE(batch_json(b).contains("queue_position"));
  b.status = storage::BatchStatus::kExpired;
  EXPECT_FALSE(batch_json(b, 2).contains("queue_position"));
}

}  // namespace
}  // namespace batchgate::api
