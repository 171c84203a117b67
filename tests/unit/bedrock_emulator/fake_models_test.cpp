#include "fake_models.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace batchgate::bedrock_emulator {
namespace {

using nlohmann::json;

json claude_input() {
  return json::parse(R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":200,
    "system":"Be brief.","messages":[{"role":"user","content":"Hello there, how are you today?"}]})");
}

TEST(EmulatorFakeModels, FamilyFromModelId) {
  EXPECT_EQ(family_for_model("anthropic.claude-3-haiku-20240307-v1:0"), ModelFamily::kAnthropicMessages);
  EXPECT_EQ(family_for_model("us.anthropic.claude-3-5-haiku-20241022-v1:0"), ModelFamily::kAnthropicMessages);
  EXPECT_EQ(family_for_model("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"),
            ModelFamily::kNovaMessages);
  EXPECT_EQ(family_for_model("meta.llama3-1-70b-instruct-v1:0"), ModelFamily::kLlamaPrompt);
  EXPECT_EQ(family_for_model("amazon.titan-embed-text-v2:0"), ModelFamily::kTitanEmbeddingsV2);
  EXPECT_FALSE(family_for_model("cohere.command-r-v1:0"));
}

TEST(EmulatorFakeModels, ClaudeOutputIsDeterministicWithUsage) {
  const auto a = run_record(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0",
                            claude_input());
  const auto b = run_record(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0",
                            claude_input());
  ASSERT_TRUE(a.ok()) << a.error_message;
  EXPECT_EQ(*a.output, *b.output);
  const json& out = *a.output;
  EXPECT_EQ(out["type"], "message");
  EXPECT_EQ(out["role"], "assistant");
  EXPECT_EQ(out["model"], "claude-3-haiku-20240307");
  EXPECT_EQ(out["content"][0]["type"], "text");
  EXPECT_FALSE(out["content"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(out["stop_reason"], "end_turn");
  // "Be brief." + the user text = 40 chars → 10 tokens.
  EXPECT_EQ(out["usage"]["input_tokens"], 10);
  EXPECT_EQ(out["usage"]["output_tokens"], a.output_tokens);
  EXPECT_GE(a.output_tokens, 8);
  json other = claude_input();
  other["messages"][0]["content"] = "Something else entirely";
  const auto c =
      run_record(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0", other);
  EXPECT_NE((*c.output)["content"][0]["text"], out["content"][0]["text"]);
}

TEST(EmulatorFakeModels, ClaudeMaxTokensTruncates) {
  json input = claude_input();
  input["max_tokens"] = 3;
  const auto r =
      run_record(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0", input);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r.output)["stop_reason"], "max_tokens");
  EXPECT_EQ(r.output_tokens, 3);
}

struct Malformed {
  const char* name;
  ModelFamily family;
  bool converse;
  const char* input;
  const char* message_part;
};

class EmulatorMalformedInput : public testing::TestWithParam<Malformed> {};

TEST_P(EmulatorMalformedInput, IsAPerRecord400) {
  const auto& c = GetParam();
  const auto r = run_record(c.family, c.converse, "model", json::parse(c.input));
  EXPECT_FALSE(r.ok()) << c.name;
  EXPECT_EQ(r.error_code, 400);
  EXPECT_NE(r.error_message.find(c.message_part), std::string::npos) << r.error_message;
}

INSTANTIATE_TEST_SUITE_P(
    EmulatorFamilies, EmulatorMalformedInput,
    testing::Values(
        Malformed{"claude_missing_max_tokens", ModelFamily::kAnthropicMessages, false,
                  R"({"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"hi"}]})",
                  "required key [max_tokens] not found"},
        Malformed{"claude_missing_version", ModelFamily::kAnthropicMessages, false,
                  R"({"max_tokens":10,"messages":[{"role":"user","content":"hi"}]})",
                  "required key [anthropic_version] not found"},
        Malformed{
            "claude_model_inside", ModelFamily::kAnthropicMessages, false,
            R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"model":"x","messages":[{"role":"user","content":"hi"}]})",
            "extraneous key [model] is not permitted"},
        Malformed{
            "claude_openai_field", ModelFamily::kAnthropicMessages, false,
            R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"n":2,"messages":[{"role":"user","content":"hi"}]})",
            "extraneous key [n]"},
        Malformed{
            "claude_assistant_first", ModelFamily::kAnthropicMessages, false,
            R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"assistant","content":"hi"}]})",
            "first message must use the \"user\" role"},
        Malformed{
            "claude_two_users", ModelFamily::kAnthropicMessages, false,
            R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})",
            "roles must alternate"},
        Malformed{
            "claude_system_role", ModelFamily::kAnthropicMessages, false,
            R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"system","content":"a"}]})",
            "role must be"},
        Malformed{
            "claude_temperature", ModelFamily::kAnthropicMessages, false,
            R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"temperature":1.5,"messages":[{"role":"user","content":"a"}]})",
            "temperature"},
        Malformed{"nova_string_content", ModelFamily::kNovaMessages, false,
                  R"({"messages":[{"role":"user","content":"hi"}]})", "content blocks"},
        Malformed{"nova_unknown_key", ModelFamily::kNovaMessages, false,
                  R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],"max_tokens":5})",
                  "extraneous key [max_tokens]"},
        Malformed{"nova_assistant_first", ModelFamily::kNovaMessages, false,
                  R"({"messages":[{"role":"assistant","content":[{"text":"hi"}]}]})",
                  "start with a user message"},
        Malformed{"llama_missing_prompt", ModelFamily::kLlamaPrompt, false, R"({"max_gen_len":10})",
                  "required key [prompt] not found"},
        Malformed{"llama_too_long", ModelFamily::kLlamaPrompt, false, R"({"prompt":"x","max_gen_len":4096})",
                  "max_gen_len"},
        Malformed{"titan_missing_text", ModelFamily::kTitanEmbeddingsV2, false, R"({"dimensions":256})",
                  "required key [inputText] not found"},
        Malformed{"titan_bad_dimensions", ModelFamily::kTitanEmbeddingsV2, false,
                  R"({"inputText":"a","dimensions":300})", "dimensions"},
        Malformed{"converse_model_id", ModelFamily::kAnthropicMessages, true,
                  R"({"modelId":"x","messages":[{"role":"user","content":[{"text":"hi"}]}]})",
                  "extraneous key [modelId]"},
        Malformed{"converse_tools", ModelFamily::kNovaMessages, true,
                  R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],"toolConfig":{"tools":[]}})",
                  "Tool use is not supported"},
        Malformed{"not_an_object", ModelFamily::kLlamaPrompt, false, R"([1,2])", "JSONObject"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EmulatorFakeModels, NovaAndConverseShapes) {
  const json input = json::parse(R"({"schemaVersion":"messages-v1","system":[{"text":"sys"}],
    "messages":[{"role":"user","content":[{"text":"abcdefgh"}]}],"inferenceConfig":{"maxTokens":300}})");
  const auto nova = run_record(ModelFamily::kNovaMessages, false, "amazon.nova-lite-v1:0", input);
  ASSERT_TRUE(nova.ok()) << nova.error_message;
  const json& out = *nova.output;
  EXPECT_EQ(out["output"]["message"]["role"], "assistant");
  EXPECT_TRUE(out["output"]["message"]["content"][0]["text"].is_string());
  EXPECT_EQ(out["usage"]["inputTokens"], 3);  // 11 chars
  EXPECT_EQ(out["usage"]["totalTokens"], nova.input_tokens + nova.output_tokens);
  EXPECT_FALSE(out.contains("metrics"));

  json converse = input;
  converse.erase("schemaVersion");
  const auto c =
      run_record(ModelFamily::kAnthropicMessages, true, "anthropic.claude-3-haiku-20240307-v1:0", converse);
  ASSERT_TRUE(c.ok()) << c.error_message;
  EXPECT_TRUE((*c.output).contains("metrics"));
  EXPECT_EQ((*c.output)["stopReason"], "end_turn");
}

TEST(EmulatorFakeModels, LlamaShape) {
  const auto r = run_record(ModelFamily::kLlamaPrompt, false, "meta.llama3-1-70b-instruct-v1:0",
                            json{{"prompt", "<|begin_of_text|>hello"}, {"max_gen_len", 5}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r.output)["generation_token_count"], 5);
  EXPECT_EQ((*r.output)["stop_reason"], "length");
  EXPECT_EQ((*r.output)["prompt_token_count"], 6);
}

TEST(EmulatorFakeModels, TitanEmbeddingIsNormalisedAndSized) {
  const auto r = run_record(
      ModelFamily::kTitanEmbeddingsV2, false, "amazon.titan-embed-text-v2:0",
      json{{"inputText", "hello world"}, {"dimensions", 256}, {"embeddingTypes", {"float", "binary"}}});
  ASSERT_TRUE(r.ok()) << r.error_message;
  const json& out = *r.output;
  ASSERT_EQ(out["embedding"].size(), 256u);
  EXPECT_EQ(out["embeddingsByType"]["binary"].size(), 256u);
  double norm = 0;
  for (const auto& v : out["embedding"]) norm += v.get<double>() * v.get<double>();
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-3);
  EXPECT_EQ(out["inputTextTokenCount"], 3);
  EXPECT_EQ(r.output_tokens, 0);
  const auto again = run_record(ModelFamily::kTitanEmbeddingsV2, false, "amazon.titan-embed-text-v2:0",
                                json{{"inputText", "hello world"}});
  EXPECT_EQ((*again.output)["embedding"].size(), 1024u);
}

// Per-model limits (model_limits.hpp), answered as the models word them: a 400 record error.
TEST(EmulatorFakeModels, ModelLimitsAreRecordErrors) {
  json input = claude_input();
  input["max_tokens"] = 100000;
  const auto capped =
      run_record(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0", input);
  EXPECT_EQ(capped.error_code, 400);
  EXPECT_NE(capped.error_message.find("max_tokens: 100000 > 4096"), std::string::npos)
      << capped.error_message;
  input["max_tokens"] = 200;
  input["temperature"] = 0.5;
  input["top_p"] = 0.9;
  EXPECT_TRUE(
      run_record(ModelFamily::kAnthropicMessages, false, "anthropic.claude-3-haiku-20240307-v1:0", input)
          .ok());
  const auto both = run_record(ModelFamily::kAnthropicMessages, false,
                               "us.anthropic.claude-sonnet-4-5-20250929-v1:0", input);
  EXPECT_EQ(both.error_code, 400);
  EXPECT_NE(both.error_message.find("cannot both be specified"), std::string::npos) << both.error_message;
  input.erase("top_p");
  EXPECT_TRUE(run_record(ModelFamily::kAnthropicMessages, false,
                         "us.anthropic.claude-sonnet-4-5-20250929-v1:0", input)
                  .ok());
  const json nova = json::parse(
      R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":20000}})");
  const auto nova_capped = run_record(ModelFamily::kNovaMessages, false, "amazon.nova-lite-v1:0", nova);
  EXPECT_EQ(nova_capped.error_code, 400);
  EXPECT_NE(nova_capped.error_message.find("model limit of 10000"), std::string::npos);
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
