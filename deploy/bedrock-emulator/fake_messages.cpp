// Nova messages-v1 (spec/bedrock-batch.md §10.3) and Converse (§10.6): the content-block message shape.

#include <set>

#include "fake_models.hpp"
#include "model_limits.hpp"

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

std::string malformed(std::string_view detail) {
  return "Malformed input request: " + std::string(detail) + ", please reformat your input and try again.";
}

// Counts the characters of a content-block list; sets `error` when a block is not one the API knows.
std::size_t block_chars(const json& content, std::string_view where, std::string& error) {
  static const std::set<std::string, std::less<>> kBlocks{
      "text", "image", "video", "document", "toolUse", "toolResult", "reasoningContent", "cachePoint"};
  if (!content.is_array() || content.empty()) {
    error = malformed(std::string(where) + ": expected a non-empty list of content blocks");
    return 0;
  }
  std::size_t chars = 0;
  for (const auto& block : content) {
    if (!block.is_object() || block.size() != 1 || !kBlocks.contains(block.begin().key())) {
      error = malformed(std::string(where) +
                        ": each content block must have exactly one of text, image, video, "
                        "document, toolUse, toolResult");
      return 0;
    }
    const auto entry = block.begin();  // exactly one member, checked above
    const std::string& key = entry.key();
    const nlohmann::json& value = entry.value();
    if (key == "text") {
      if (!value.is_string()) {
        error = malformed(std::string(where) + "/text: expected type: String");
        return 0;
      }
      chars += value.get_ref<const std::string&>().size();
    } else if (key == "image" || key == "video" || key == "document") {
      chars += 6000;
    } else {
      chars += value.dump().size();
    }
  }
  return chars;
}

struct Conversation {
  std::size_t chars = 0;
  std::string error;
};

Conversation read_messages(const json& input) {
  Conversation c;
  const auto messages = input.find("messages");
  if (messages == input.end()) {
    c.error = malformed("#: required key [messages] not found");
    return c;
  }
  if (!messages->is_array() || messages->empty()) {
    c.error = malformed("#/messages: expected minItems: 1");
    return c;
  }
  std::string previous;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    const std::string where = "#/messages/" + std::to_string(i);
    const std::string role =
        m.is_object() && m.contains("role") && m["role"].is_string() ? m["role"].get<std::string>() : "";
    if (role != "user" && role != "assistant") {
      c.error = malformed(where + "/role: must be one of user, assistant");
      return c;
    }
    if (previous.empty() && role != "user") {
      c.error =
          "A conversation must start with a user message. Try again with a conversation that starts with a "
          "user message.";
      return c;
    }
    if (role == previous) {
      c.error =
          "A conversation must alternate between user and assistant roles. Make sure the conversation "
          "alternates between user and assistant roles and try again.";
      return c;
    }
    previous = role;
    c.chars += block_chars(m.contains("content") ? m["content"] : json(), where + "/content", c.error);
    if (!c.error.empty()) return c;
  }
  if (const auto system = input.find("system"); system != input.end()) {
    c.chars += block_chars(*system, "#/system", c.error);
  }
  return c;
}

// Reads inferenceConfig.maxTokens (or Nova's snake-case alias, spec §10.3); 0 when invalid.
std::int64_t max_tokens_of(const json& input, std::int64_t fallback, std::string& error) {
  const auto config = input.find("inferenceConfig");
  if (config == input.end()) return fallback;
  if (!config->is_object()) {
    error = malformed("#/inferenceConfig: expected type: JSONObject");
    return 0;
  }
  for (const char* key : {"maxTokens", "max_new_tokens"}) {
    const auto it = config->find(key);
    if (it == config->end()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
      error =
          malformed(std::string("#/inferenceConfig/") + key + ": must be an integer greater or equal to 1");
      return 0;
    }
    return it->get<std::int64_t>();
  }
  return fallback;
}

struct Generated {
  std::string text;
  std::int64_t tokens;
  bool truncated;
};

Generated generate(const json& input, std::int64_t limit) {
  const std::uint64_t seed = fnv1a64(input.dump());
  const std::int64_t wanted = 8 + static_cast<std::int64_t>(seed % 56);
  const std::int64_t produced = std::min(wanted, limit);
  return {generated_text(seed, produced), produced, produced < wanted};
}

RecordResult message_result(const Conversation& c, const Generated& g, bool converse) {
  RecordResult result;
  result.input_tokens = estimate_tokens(c.chars);
  result.output_tokens = g.tokens;
  json output{
      {"output", {{"message", {{"role", "assistant"}, {"content", json::array({{{"text", g.text}}})}}}}},
      {"stopReason", g.truncated ? "max_tokens" : "end_turn"},
      {"usage",
       {{"inputTokens", result.input_tokens},
        {"outputTokens", result.output_tokens},
        {"totalTokens", result.input_tokens + result.output_tokens}}}};
  if (converse) output["metrics"] = {{"latencyMs", 100 + g.tokens * 7}};
  result.output = std::move(output);
  return result;
}

}  // namespace

RecordResult run_nova(std::string_view model_id, const json& input) {
  static const std::set<std::string, std::less<>> kAllowed{"schemaVersion", "system", "messages",
                                                           "inferenceConfig", "toolConfig"};
  for (const auto& [key, value] : input.items()) {
    if (!kAllowed.contains(key))
      return record_error(malformed("#: extraneous key [" + key + "] is not permitted"));
  }
  if (const auto it = input.find("schemaVersion"); it != input.end() && *it != "messages-v1") {
    return record_error(malformed("#/schemaVersion: only messages-v1 is supported"));
  }
  const Conversation c = read_messages(input);
  if (!c.error.empty()) return record_error(c.error);
  std::string error;
  const std::int64_t limit = max_tokens_of(input, 5000, error);
  if (!error.empty()) return record_error(error);
  if (auto e = check_model_limits(model_id, limit, false, false)) return record_error(*e);
  return message_result(c, generate(input, limit), false);
}

RecordResult run_converse(std::string_view /*model_id*/, const json& input) {
  static const std::set<std::string, std::less<>> kAllowed{
      "messages",          "system",          "inferenceConfig", "additionalModelRequestFields",
      "guardrailConfig",   "promptVariables", "requestMetadata", "additionalModelResponseFieldPaths",
      "performanceConfig", "toolConfig"};
  for (const auto& [key, value] : input.items()) {
    if (!kAllowed.contains(key))
      return record_error(malformed("#: extraneous key [" + key + "] is not permitted"));
  }
  // Tool use is not supported in Converse-type batch jobs (spec §9).
  if (input.contains("toolConfig"))
    return record_error("Tool use is not supported for Converse batch inference jobs.");
  const Conversation c = read_messages(input);
  if (!c.error.empty()) return record_error(c.error);
  std::string error;
  const std::int64_t limit = max_tokens_of(input, 4096, error);
  if (!error.empty()) return record_error(error);
  return message_result(c, generate(input, limit), true);
}

}  // namespace batchgate::bedrock_emulator
