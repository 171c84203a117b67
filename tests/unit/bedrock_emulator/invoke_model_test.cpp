// InvokeModel through the Router: routing of the {modelId} label, the four families answering exactly what a
// batch record's modelOutput holds, errors in bedrock-runtime's shape, and signature checks.

#include "invoke_model.hpp"

#include "batch_io.hpp"
#include "runtime_fixture.hpp"

namespace batchgate::bedrock_emulator {
namespace {

using nlohmann::json;

// What a batch job writes as modelOutput (or error) for one record with this modelInput and model.
json batch_output_line(ModelFamily family, const std::string& model_id, const json& model_input) {
  RecordProcessor processor(family, false, model_id, {InputFile{"in.jsonl", {{"rec1", model_input}}}}, {});
  processor.process(1);
  const auto outputs = processor.outputs();
  EXPECT_FALSE(outputs.empty());
  const std::string& body = outputs.front().body;
  return json::parse(body.substr(0, body.find('\n')));
}

struct FamilyCase {
  ModelFamily family;
  std::string model_id;  // as the caller names it: id, inference-profile id or ARN
  json body;
};

TEST_F(EmulatorInvokeTest, EveryFamilyAnswersWhatTheBatchRecordHolds) {
  const std::vector<FamilyCase> cases{
      {ModelFamily::kAnthropicMessages, kClaude, json::parse(claude_body("hello claude"))},
      {ModelFamily::kNovaMessages,
       "us.amazon.nova-lite-v1:0",
       {{"schemaVersion", "messages-v1"},
        {"messages", json::array({{{"role", "user"}, {"content", json::array({{{"text", "hi nova"}}})}}})},
        {"inferenceConfig", {{"maxTokens", 20}}}}},
      {ModelFamily::kLlamaPrompt,
       "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-70b-instruct-v1:0",
       {{"prompt", "<|begin_of_text|>hi llama"}, {"max_gen_len", 30}}},
      {ModelFamily::kTitanEmbeddingsV2,
       "amazon.titan-embed-text-v2:0",
       {{"inputText", "embed me"}, {"dimensions", 256}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.model_id);
    const auto response = invoke(c.model_id, c.body.dump(),
                                 {{"Content-Type", "application/json"}, {"Accept", "application/json"}});
    ASSERT_EQ(response.status, 200) << response.body;
    const json line = batch_output_line(c.family, c.model_id, c.body);
    ASSERT_TRUE(line.contains("modelOutput")) << line.dump();
    EXPECT_EQ(json::parse(response.body), line["modelOutput"]);
    const RecordResult record = run_record(c.family, false, c.model_id, c.body);
    EXPECT_EQ(header(response, "X-Amzn-Bedrock-Input-Token-Count"), std::to_string(record.input_tokens));
    EXPECT_EQ(header(response, "X-Amzn-Bedrock-Output-Token-Count"), std::to_string(record.output_tokens));
    EXPECT_GT(record.input_tokens, 0);
    EXPECT_EQ(header(response, "Content-Type"), "application/json");
    EXPECT_FALSE(header(response, "x-amzn-RequestId").empty());
    EXPECT_FALSE(aws::find_header(response.headers, "x-amzn-ErrorType"));
  }
  EXPECT_EQ(router_.invocations().invocations(), 4u);
}

TEST_F(EmulatorInvokeTest, RejectedBodyGetsTheBatchRecordMessage) {
  json body = json::parse(claude_body("hi"));
  body["model"] = kClaude;  // OpenAI's key is not part of the Messages body (spec §8.1)
  const auto response = invoke(kClaude, body.dump());
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_type(response), "ValidationException");
  const json line = batch_output_line(ModelFamily::kAnthropicMessages, kClaude, body);
  EXPECT_EQ(line["error"]["errorCode"], 400);
  EXPECT_EQ(json::parse(response.body), json({{"message", line["error"]["errorMessage"]}}));

  const auto not_json = invoke(kClaude, "{not json");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(error_type(not_json), "ValidationException");
  EXPECT_NE(not_json.body.find("Malformed input request"), std::string::npos);
  // Both reached the model: they count, as failed batch records do.
  EXPECT_EQ(router_.invocations().invocations(), 2u);
}

TEST_F(EmulatorInvokeTest, UnknownModelsAndBadIdentifiers) {
  const auto unknown = invoke("cohere.command-r-v1:0", claude_body("hi"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_type(unknown), "ValidationException");
  EXPECT_EQ(json::parse(unknown.body)["message"], "The provided model identifier is invalid.");
  const auto empty = router_.handle(signed_request("POST", "/model//invoke", claude_body("hi")));
  EXPECT_EQ(error_type(empty), "ValidationException");
  EXPECT_EQ(invoke(std::string(2049, 'a'), claude_body("hi")).status, 400);
  // None of them reached a model.
  EXPECT_EQ(router_.invocations().invocations(), 0u);
  EXPECT_EQ(admin("GET", "/_emulator/invocations")["counts"], json::object());
}

TEST_F(EmulatorInvokeTest, ModelIdLabelIsPercentDecoded) {
  const std::string profile_arn =
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0";
  EXPECT_EQ(invoke(profile_arn, claude_body("a")).status, 200);
  // A client that leaves ':' unencoded names the same model.
  const auto raw = router_.handle(
      signed_request("POST", "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", claude_body("a")));
  EXPECT_EQ(raw.status, 200) << raw.body;
  const json by_model = admin("GET", "/_emulator/stats")["invocationsByModel"];
  EXPECT_EQ(by_model, json({{profile_arn, 1}, {kClaude, 1}}));
}

TEST_F(EmulatorInvokeTest, OnlyPostInvokeIsRouted) {
  const std::string path = "/model/" + aws::uri_encode(kClaude, false);
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", path + "/invoke"},
                                                        {"POST", path + "/converse"},
                                                        {"POST", path + "/invoke-with-response-stream"},
                                                        {"POST", "/model/a/b/invoke"}}) {
    const auto response = router_.handle(signed_request(method, target, claude_body("hi")));
    EXPECT_EQ(response.status, 404) << method << " " << target;
    EXPECT_EQ(error_type(response), "UnknownOperationException");
  }
}

TEST_F(EmulatorInvokeTest, MediaTypes) {
  EXPECT_EQ(invoke(kClaude, claude_body("a"), {}).status, 200);  // botocore's default: neither header
  EXPECT_EQ(invoke(kClaude, claude_body("a"),
                   {{"Content-Type", "application/json; charset=utf-8"}, {"Accept", "*/*"}})
                .status,
            200);
  const auto text = invoke(kClaude, claude_body("a"), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 400);
  EXPECT_EQ(error_type(text), "ValidationException");
  const auto accept = invoke(kClaude, claude_body("a"), {{"Accept", "text/html"}});
  EXPECT_EQ(error_type(accept), "ValidationException");
}

TEST_F(EmulatorInvokeTest, SignaturesAreVerifiedWithSigningNameBedrock) {
  const std::string target = "/model/" + aws::uri_encode(kClaude, false) + "/invoke";
  const auto wrong_secret =
      router_.handle(signed_request("POST", target, claude_body("a"), {}, "bedrock", "not-the-secret"));
  EXPECT_EQ(wrong_secret.status, 403);
  EXPECT_EQ(error_type(wrong_secret), "InvalidSignatureException");
  // The endpoint prefix is not the signing name.
  const auto wrong_service =
      router_.handle(signed_request("POST", target, claude_body("a"), {}, "bedrock-runtime"));
  EXPECT_EQ(error_type(wrong_service), "InvalidSignatureException");
  const auto unsigned_call = router_.handle({"POST", target, {{"Host", kRuntimeHost}}, claude_body("a")});
  EXPECT_EQ(error_type(unsigned_call), "MissingAuthenticationTokenException");
  auto tampered = signed_request("POST", target, claude_body("a"));
  tampered.body = claude_body("b");
  EXPECT_EQ(error_type(router_.handle(tampered)), "InvalidSignatureException");
  EXPECT_EQ(router_.invocations().invocations(), 0u);
}

TEST(EmulatorInvokeErrors, StatusToErrorShapeTable) {
  const std::vector<std::pair<int, std::optional<std::string>>> table{
      {400, "ValidationException"},
      {408, "ModelTimeoutException"},
      {424, "ModelErrorException"},
      {429, "ThrottlingException"},
      {500, "InternalServerException"},
      {503, "ServiceUnavailableException"},
      {404, std::nullopt},
      {418, std::nullopt},  // default row: not an injectable status
  };
  for (const auto& [status, type] : table) {
    const auto error = invoke_error_for_status(status);
    ASSERT_EQ(error.has_value(), type.has_value()) << status;
    if (!error) continue;
    EXPECT_EQ(error->type, *type);
    EXPECT_EQ(error->status, status);
    EXPECT_FALSE(error->message.empty());
  }
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
