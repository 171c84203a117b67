#include "translators/nova_messages.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "translators/chat_request.hpp"
#include "translators/chat_response.hpp"

namespace batchgate::translators {
namespace {

using nlohmann::json;
using namespace chat;

constexpr std::string_view kLabel = "Amazon Nova";
constexpr std::array<std::string_view, 9> kHandledKeys = {
    "messages", "max_tokens", "max_completion_tokens", "temperature",    "top_p",
    "stop",     "tools",      "tool_choice",           "response_format"};

Expected<json> user_blocks(const json& content, const std::string& param) {
  if (content.is_string()) return json::array({{{"text", content}}});
  if (!content.is_array()) {
    return make_error("invalid_type", param + " must be a string or an array of content parts.", param);
  }
  json blocks = json::array();
  for (std::size_t j = 0; j < content.size(); ++j) {
    const json& part = content[j];
    std::string part_param = param + "[" + std::to_string(j) + "]";
    std::string_view type = string_at(part, "type");
    const json* text = part.is_object() ? find_set(part, "text") : nullptr;
    if (type == "text" && text != nullptr && text->is_string()) {
      blocks.push_back({{"text", *text}});
      continue;
    }
    if (type != "image_url") {
      return make_error("unsupported_value",
                        part_param + " has type \"" + std::string(type) +
                            "\"; Amazon Nova on Bedrock accepts \"text\" and \"image_url\" parts.",
                        part_param);
    }
    Expected<InlineImage> image = read_image_part(part, part_param);
    if (!image) return std::move(image.error());
    blocks.push_back({{"image", {{"format", image->format}, {"source", {{"bytes", image->base64}}}}}});
  }
  return blocks;
}

Expected<json> assistant_blocks(const json& message, const std::string& param) {
  json blocks = json::array();
  if (const json* content = find_set(message, "content")) {
    Expected<std::string> text = read_text_content(*content, param + ".content");
    if (!text) return std::move(text.error());
    if (!text->empty()) blocks.push_back({{"text", std::move(*text)}});
  }
  const json* calls = find_set(message, "tool_calls");
  if (calls != nullptr && !calls->is_array()) {
    return make_error("invalid_type", param + ".tool_calls must be an array.", param + ".tool_calls");
  }
  for (std::size_t j = 0; calls != nullptr && j < calls->size(); ++j) {
    std::string call_param = param + ".tool_calls[" + std::to_string(j) + "]";
    Expected<ToolCallRef> ref = read_tool_call_ref((*calls)[j], call_param);
    if (!ref) return std::move(ref.error());
    Expected<json> input = read_tool_arguments((*calls)[j], call_param);
    if (!input) return std::move(input.error());
    blocks.push_back(
        {{"toolUse", {{"toolUseId", *ref->id}, {"name", *ref->name}, {"input", std::move(*input)}}}});
  }
  if (blocks.empty()) {
    return make_error("invalid_value", param + " needs non-empty content or tool_calls.", param + ".content");
  }
  return blocks;
}

Expected<json> tool_result_block(const json& message, std::size_t i) {
  Expected<const std::string*> id = read_tool_call_id(message, i);
  if (!id) return std::move(id.error());
  const json* content = find_set(message, "content");
  Expected<std::string> text = read_text_content(content ? *content : json(), message_param(i) + ".content");
  if (!text) return std::move(text.error());
  json result = {
      {"toolUseId", **id}, {"content", json::array({{{"text", std::move(*text)}}})}, {"status", "success"}};
  return json::array({{{"toolResult", std::move(result)}}});
}

// The content blocks of a user, assistant or tool message.
Expected<json> turn_blocks(const json& message, std::string_view role, std::size_t i) {
  std::string param = message_param(i);
  if (role == "user") {
    const json* content = find_set(message, "content");
    if (content == nullptr)
      return make_error("invalid_value", param + ".content is required.", param + ".content");
    return user_blocks(*content, param + ".content");
  }
  if (role == "assistant") return assistant_blocks(message, param);
  if (role == "tool") return tool_result_block(message, i);
  return make_error("invalid_value",
                    param +
                        ".role must be one of \"system\", \"developer\", \"user\", \"assistant\", \"tool\", "
                        "got \"" +
                        std::string(role) + "\".",
                    param + ".role");
}

// OpenAI messages → Nova's system list and alternating user/assistant turns.
class Conversation {
 public:
  std::optional<LineError> add(const json& message, std::size_t i) {
    std::string_view role = string_at(message, "role");
    if (role == "system" || role == "developer") {
      const json* content = find_set(message, "content");
      Expected<std::string> text =
          read_text_content(content ? *content : json(), message_param(i) + ".content");
      if (!text) return std::move(text.error());
      if (!text->empty()) system_.push_back({{"text", std::move(*text)}});
      return std::nullopt;
    }
    Expected<json> blocks = turn_blocks(message, role, i);
    if (!blocks) return std::move(blocks.error());
    append_turn(role == "assistant" ? "assistant" : "user", std::move(*blocks));
    return std::nullopt;
  }

  // The finished conversation; an error when it holds no turn at all.
  Expected<json> take_messages() {
    if (messages_.empty()) {
      return make_error(
          "invalid_value",
          "body.messages needs at least one user message; system and developer messages alone are "
          "not a conversation.",
          "body.messages");
    }
    put_tool_results_first();
    return std::move(messages_);
  }
  json take_system() { return std::move(system_); }

 private:
  // Nova, like Claude, wants alternating user/assistant turns: merge consecutive same-role messages.
  void append_turn(std::string_view role, json blocks) {
    if (!messages_.empty() && messages_.back()["role"] == role) {
      json& content = messages_.back()["content"];
      for (json& block : blocks) content.push_back(std::move(block));
      return;
    }
    messages_.push_back({{"role", role}, {"content", std::move(blocks)}});
  }

  // Tool results answer the previous assistant turn, so they lead the user turn (as Claude requires),
  // even when the OpenAI conversation put user text between the tool call and its result.
  void put_tool_results_first() {
    for (json& turn : messages_) {
      if (turn["role"] != "user") continue;
      auto& blocks = turn["content"].get_ref<json::array_t&>();
      std::stable_partition(blocks.begin(), blocks.end(),
                            [](const json& block) { return block.contains("toolResult"); });
    }
  }

  json system_ = json::array();
  json messages_ = json::array();
};

json tool_spec(std::string_view name, const json* description, json schema) {
  json spec = {{"name", name}, {"inputSchema", {{"json", std::move(schema)}}}};
  if (description != nullptr) spec["description"] = *description;
  return {{"toolSpec", std::move(spec)}};
}

// toolConfig (spec/bedrock-batch.md §10.3), or null when no tools are sent. Nova has no toolChoice "none",
// so tool_choice "none" sends no tools at all (spec/openai-batch.md §6).
Expected<json> tool_config(const json& body) {
  Expected<std::vector<FunctionTool>> tools = read_tools(body);
  if (!tools) return std::move(tools.error());
  Expected<ToolChoice> choice = read_tool_choice(body, *tools);
  if (!choice) return std::move(choice.error());
  Expected<std::optional<JsonResponse>> json_response = read_response_format(body, !tools->empty());
  if (!json_response) return std::move(json_response.error());
  if (json_response->has_value()) {
    JsonResponse& response = **json_response;
    json description = std::move(response.description);
    return json{{"tools", json::array({tool_spec(kJsonToolName, &description, std::move(response.schema))})},
                {"toolChoice", {{"tool", {{"name", kJsonToolName}}}}}};
  }
  if (tools->empty() || choice->kind == ToolChoiceKind::kNone) return json();
  json list = json::array();
  for (const FunctionTool& tool : *tools) {
    list.push_back(tool_spec(
        *tool.name, tool.description,
        tool.parameters ? *tool.parameters : json{{"type", "object"}, {"properties", json::object()}}));
  }
  json config = {{"tools", std::move(list)}};
  if (choice->kind == ToolChoiceKind::kAuto) config["toolChoice"] = {{"auto", json::object()}};
  if (choice->kind == ToolChoiceKind::kRequired) config["toolChoice"] = {{"any", json::object()}};
  if (choice->kind == ToolChoiceKind::kNamed) config["toolChoice"] = {{"tool", {{"name", choice->name}}}};
  return config;
}

Expected<json> build_input(const json& body, const RequestOptions& options) {
  if (!body.is_object()) return make_error("invalid_type", "body must be a JSON object.", "body");
  if (auto error = check_body_keys(body, kHandledKeys, kLabel, options)) return std::move(*error);
  Expected<const json*> messages = read_messages(body);
  if (!messages) return std::move(messages.error());
  Conversation conversation;
  for (std::size_t i = 0; i < (*messages)->size(); ++i) {
    if (auto error = conversation.add((**messages)[i], i)) return std::move(*error);
  }
  Expected<json> turns = conversation.take_messages();
  if (!turns) return std::move(turns.error());
  Expected<Sampling> sampling = read_sampling(body, options.default_max_tokens, kLabel);
  if (!sampling) return std::move(sampling.error());
  Expected<json> tools = tool_config(body);
  if (!tools) return std::move(tools.error());

  json config = {{"maxTokens", sampling->max_tokens}};
  if (sampling->temperature) config["temperature"] = *sampling->temperature;
  if (sampling->top_p) config["topP"] = *sampling->top_p;
  if (!sampling->stop.empty()) config["stopSequences"] = std::move(sampling->stop);
  json input = {{"schemaVersion", "messages-v1"},
                {"messages", std::move(*turns)},
                {"inferenceConfig", std::move(config)}};
  if (json system = conversation.take_system(); !system.empty()) input["system"] = std::move(system);
  if (!tools->is_null()) input["toolConfig"] = std::move(*tools);
  return input;
}

struct Answer {
  Completion completion;
  bool json_tool = false;  // the forced response_format tool answered
};

// Text and tool calls of a Nova response; the forced response_format tool's input becomes the text.
Answer read_content(simdjson::dom::array content) {
  Answer answer;
  Completion& completion = answer.completion;
  Text text;
  bool has_text = false;
  for (JsonValue block : content) {
    if (!block.is_object()) continue;
    if (std::optional<JsonValue> piece = translators::find_set(block, "text"); piece && piece->is_string()) {
      text.append_borrowed(as_string(*piece));
      has_text = true;
      continue;
    }
    // reasoningContent is not part of the answer
    std::optional<JsonValue> use = translators::find_set(block, "toolUse");
    if (!use || !use->is_object()) continue;
    std::optional<JsonValue> input = translators::find_set(*use, "input");
    std::string arguments = input ? to_json_text(*input) : "{}";
    std::string_view name = translators::string_at(*use, "name");
    if (name == kJsonToolName) {
      text.append_copy(arguments);
      has_text = answer.json_tool = true;
      continue;
    }
    completion.tool_calls.push_back({translators::string_at(*use, "toolUseId"), name, std::move(arguments)});
  }
  if (has_text || completion.tool_calls.empty()) completion.content = std::move(text);
  return answer;
}

}  // namespace

std::string_view nova_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "content_filtered" || stop_reason == "guardrail_intervened") return "content_filter";
  return "stop";  // end_turn, stop_sequence, malformed_* and anything new
}

RequestTranslation NovaMessages::to_bedrock(const json& body, const RequestOptions& options) const {
  RequestTranslation translation;
  Expected<json> input = build_input(body, options);
  if (!input) {
    translation.error = std::move(input.error());
    return translation;
  }
  translation.model_inputs.push_back(std::move(*input));
  return translation;
}

ResponseTranslation NovaMessages::to_openai(std::span<const JsonValue> outputs,
                                            const ResponseContext& context) const {
  ResponseTranslation translation;
  constexpr std::string_view kName = "Amazon Nova";
  if (outputs.size() != 1) {
    translation.error = invalid_output(kName, "expected exactly one record for the request");
    return translation;
  }
  const JsonValue output = outputs[0];
  std::optional<JsonValue> content = translators::find_set(output, "output");
  if (content) content = translators::find_set(*content, "message");
  if (content) content = translators::find_set(*content, "content");
  simdjson::dom::array blocks;
  if (!content || content->get_array().get(blocks) != simdjson::SUCCESS) {
    translation.error = invalid_output(kName, "no output.message.content array");
    return translation;
  }
  auto [completion, answered_by_json_tool] = read_content(blocks);
  completion.finish_reason = nova_finish_reason(translators::string_at(output, "stopReason"));
  // The forced response_format tool is the answer, not a tool call the client has to run.
  if (answered_by_json_tool && completion.tool_calls.empty() && completion.finish_reason == "tool_calls") {
    completion.finish_reason = "stop";
  }
  if (std::optional<JsonValue> usage = translators::find_set(output, "usage"); usage && usage->is_object()) {
    // Invoke reports cache…TokenCount, Converse cache…Tokens (spec/bedrock-batch.md §10.3, §10.6).
    std::int64_t cache_read =
        read_count(*usage, "cacheReadInputTokenCount") + read_count(*usage, "cacheReadInputTokens");
    std::int64_t cache_write =
        read_count(*usage, "cacheWriteInputTokenCount") + read_count(*usage, "cacheWriteInputTokens");
    completion.usage.prompt_tokens = read_count(*usage, "inputTokens") + cache_read + cache_write;
    completion.usage.completion_tokens = read_count(*usage, "outputTokens");
    completion.usage.cached_tokens = cache_read;
  }
  return make_chat_completion(completion, context);
}

}  // namespace batchgate::translators
