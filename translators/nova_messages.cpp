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
    "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
    "stop",     "tools",      "tool_choice",           "response_format"};

struct Conversation {
  json system = json::array();
  json messages = json::array();
};

// Nova, like Claude, wants alternating user/assistant turns: merge consecutive same-role messages.
void append_turn(json& messages, std::string_view role, json blocks) {
  if (!messages.empty() && messages.back()["role"] == role) {
    json& content = messages.back()["content"];
    for (json& block : blocks) content.push_back(std::move(block));
    return;
  }
  messages.push_back({{"role", role}, {"content", std::move(blocks)}});
}

// Tool results answer the previous assistant turn, so they lead the user turn (as Claude requires), even
// when the OpenAI conversation put user text between the tool call and its result.
void put_tool_results_first(json& messages) {
  for (json& turn : messages) {
    if (turn["role"] != "user") continue;
    auto& blocks = turn["content"].get_ref<json::array_t&>();
    std::stable_partition(blocks.begin(), blocks.end(), [](const json& block) { return block.contains("toolResult"); });
  }
}

Expected<json> user_blocks(const json& content, const std::string& param) {
  if (content.is_string()) return json::array({{{"text", content}}});
  if (!content.is_array()) {
    return make_error("invalid_type", param + " must be a string or an array of content parts.", param);
  }
  json blocks = json::array();
  for (std::size_t j = 0; j < content.size(); ++j) {
    const json& part = content[j];
    std::string part_param = param + "[" + std::to_string(j) + "]";
    const json* type = part.is_object() ? find_set(part, "type") : nullptr;
    const json* text = part.is_object() ? find_set(part, "text") : nullptr;
    if (type != nullptr && *type == "text" && text != nullptr && text->is_string()) {
      blocks.push_back({{"text", *text}});
      continue;
    }
    if (type == nullptr || *type != "image_url") {
      return make_error("unsupported_value",
                        part_param + " has type " + (type ? describe(*type) : "null") +
                            "; Amazon Nova on Bedrock accepts \"text\" and \"image_url\" parts.",
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
  const json* content = find_set(message, "content");
  if (content != nullptr) {
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
    blocks.push_back({{"toolUse", {{"toolUseId", *ref->id}, {"name", *ref->name}, {"input", std::move(*input)}}}});
  }
  if (blocks.empty()) {
    return make_error("invalid_value", param + " needs non-empty content or tool_calls.", param + ".content");
  }
  return blocks;
}

std::optional<LineError> add_message(Conversation& conversation, const json& message, std::size_t i) {
  std::string param = message_param(i);
  const json* role = message.is_object() ? find_set(message, "role") : nullptr;
  std::string_view role_name = string_at(message, "role");
  const json* content = message.is_object() ? find_set(message, "content") : nullptr;
  if (role_name == "system" || role_name == "developer") {
    Expected<std::string> text = read_text_content(content ? *content : json(), param + ".content");
    if (!text) return std::move(text.error());
    if (!text->empty()) conversation.system.push_back({{"text", std::move(*text)}});
    return std::nullopt;
  }
  if (role_name == "user") {
    if (content == nullptr) return make_error("invalid_value", param + ".content is required.", param + ".content");
    Expected<json> blocks = user_blocks(*content, param + ".content");
    if (!blocks) return std::move(blocks.error());
    append_turn(conversation.messages, "user", std::move(*blocks));
    return std::nullopt;
  }
  if (role_name == "assistant") {
    Expected<json> blocks = assistant_blocks(message, param);
    if (!blocks) return std::move(blocks.error());
    append_turn(conversation.messages, "assistant", std::move(*blocks));
    return std::nullopt;
  }
  if (role_name == "tool") {
    Expected<const std::string*> id = read_tool_call_id(message, i);
    if (!id) return std::move(id.error());
    Expected<std::string> text = read_text_content(content ? *content : json(), param + ".content");
    if (!text) return std::move(text.error());
    json block = {{"toolResult",
                   {{"toolUseId", **id}, {"content", json::array({{{"text", std::move(*text)}}})}, {"status", "success"}}}};
    append_turn(conversation.messages, "user", json::array({std::move(block)}));
    return std::nullopt;
  }
  return make_error("invalid_value",
                    param + ".role must be one of \"system\", \"developer\", \"user\", \"assistant\", \"tool\", got " +
                        (role ? describe(*role) : "nothing") + ".",
                    param + ".role");
}

Expected<Conversation> read_conversation(const json& body) {
  Expected<const json*> messages = read_messages(body);
  if (!messages) return std::move(messages.error());
  Conversation conversation;
  for (std::size_t i = 0; i < (*messages)->size(); ++i) {
    if (auto error = add_message(conversation, (**messages)[i], i)) return std::move(*error);
  }
  if (conversation.messages.empty()) {
    return make_error("invalid_value",
                      "body.messages needs at least one user message; system and developer messages alone are "
                      "not a conversation.",
                      "body.messages");
  }
  put_tool_results_first(conversation.messages);
  return conversation;
}

json tool_spec(std::string_view name, const json* description, json schema) {
  json spec = {{"name", name}, {"inputSchema", {{"json", std::move(schema)}}}};
  if (description != nullptr) spec["description"] = *description;
  return {{"toolSpec", std::move(spec)}};
}

// toolConfig (spec/bedrock-batch.md §10.3). Nova has no toolChoice "none", so tool_choice "none" sends
// no tools at all (spec/openai-batch.md §6).
std::optional<LineError> add_tools(json& input, const json& body) {
  Expected<std::vector<FunctionTool>> tools = read_tools(body);
  if (!tools) return std::move(tools.error());
  Expected<ToolChoice> choice = read_tool_choice(body, *tools);
  if (!choice) return std::move(choice.error());
  Expected<std::optional<JsonResponse>> json_response = read_response_format(body, !tools->empty());
  if (!json_response) return std::move(json_response.error());
  if (json_response->has_value()) {
    JsonResponse& response = **json_response;
    json description = std::move(response.description);
    input["toolConfig"] = {{"tools", json::array({tool_spec(kJsonToolName, &description, std::move(response.schema))})},
                           {"toolChoice", {{"tool", {{"name", kJsonToolName}}}}}};
    return std::nullopt;
  }
  if (tools->empty() || choice->kind == ToolChoiceKind::kNone) return std::nullopt;
  json list = json::array();
  for (const FunctionTool& tool : *tools) {
    list.push_back(tool_spec(*tool.name, tool.description,
                             tool.parameters ? *tool.parameters
                                             : json{{"type", "object"}, {"properties", json::object()}}));
  }
  json config = {{"tools", std::move(list)}};
  if (choice->kind == ToolChoiceKind::kAuto) config["toolChoice"] = {{"auto", json::object()}};
  if (choice->kind == ToolChoiceKind::kRequired) config["toolChoice"] = {{"any", json::object()}};
  if (choice->kind == ToolChoiceKind::kNamed) config["toolChoice"] = {{"tool", {{"name", choice->name}}}};
  input["toolConfig"] = std::move(config);
  return std::nullopt;
}

Expected<json> build_input(const json& body, const RequestOptions& options) {
  if (!body.is_object()) return make_error("invalid_type", "body must be a JSON object.", "body");
  if (auto error = check_body_keys(body, kHandledKeys, kLabel, options)) return std::move(*error);
  Expected<Conversation> conversation = read_conversation(body);
  if (!conversation) return std::move(conversation.error());
  Expected<int> max_tokens = read_max_tokens(body, options.default_max_tokens);
  if (!max_tokens) return std::move(max_tokens.error());
  Expected<std::optional<double>> temperature = read_bounded_number(body, "temperature", 1.0, kLabel);
  if (!temperature) return std::move(temperature.error());
  Expected<std::optional<double>> top_p = read_bounded_number(body, "top_p", 1.0, kLabel);
  if (!top_p) return std::move(top_p.error());
  Expected<std::vector<std::string>> stop = read_stop(body);
  if (!stop) return std::move(stop.error());

  json config = {{"maxTokens", *max_tokens}};
  if (*temperature) config["temperature"] = **temperature;
  if (*top_p) config["topP"] = **top_p;
  if (!stop->empty()) config["stopSequences"] = std::move(*stop);
  json input = {{"schemaVersion", "messages-v1"},
                {"messages", std::move(conversation->messages)},
                {"inferenceConfig", std::move(config)}};
  if (!conversation->system.empty()) input["system"] = std::move(conversation->system);
  if (auto error = add_tools(input, body)) return std::move(*error);
  return input;
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

ResponseTranslation NovaMessages::to_openai(std::span<const json> outputs, const ResponseContext& context) const {
  ResponseTranslation translation;
  constexpr std::string_view kName = "Amazon Nova";
  if (outputs.size() != 1) {
    translation.error = invalid_output(kName, "expected exactly one record for the request");
    return translation;
  }
  const json& output = outputs[0];
  const json* message = output.is_object() ? find_set(output, "output") : nullptr;
  message = message != nullptr && message->is_object() ? find_set(*message, "message") : nullptr;
  const json* content = message != nullptr && message->is_object() ? find_set(*message, "content") : nullptr;
  if (content == nullptr || !content->is_array()) {
    translation.error = invalid_output(kName, "no output.message.content array");
    return translation;
  }
  Completion completion;
  std::string text;
  bool has_text = false;
  bool json_tool = false;
  for (const json& block : *content) {
    if (!block.is_object()) continue;
    if (const json* piece = find_set(block, "text"); piece != nullptr && piece->is_string()) {
      text += piece->get_ref<const std::string&>();
      has_text = true;
    } else if (const json* use = find_set(block, "toolUse"); use != nullptr && use->is_object()) {
      const json* input = find_set(*use, "input");
      std::string arguments = input ? input->dump() : "{}";
      std::string name = use->value("name", "");
      if (name == kJsonToolName) {
        // The forced response_format tool: its input is the JSON answer (see chat_request.hpp).
        text += arguments;
        has_text = json_tool = true;
        continue;
      }
      completion.tool_calls.push_back({use->value("toolUseId", ""), std::move(name), std::move(arguments)});
    }
  }
  if (has_text || completion.tool_calls.empty()) completion.content = std::move(text);
  completion.finish_reason = nova_finish_reason(string_at(output, "stopReason"));
  if (json_tool && completion.tool_calls.empty() && completion.finish_reason == "tool_calls") {
    completion.finish_reason = "stop";
  }
  const json* usage = find_set(output, "usage");
  if (usage != nullptr && usage->is_object()) {
    // Invoke reports cache…TokenCount, Converse cache…Tokens (spec/bedrock-batch.md §10.3, §10.6).
    std::int64_t cache_read = read_count(*usage, "cacheReadInputTokenCount") + read_count(*usage, "cacheReadInputTokens");
    std::int64_t cache_write =
        read_count(*usage, "cacheWriteInputTokenCount") + read_count(*usage, "cacheWriteInputTokens");
    completion.usage.prompt_tokens = read_count(*usage, "inputTokens") + cache_read + cache_write;
    completion.usage.completion_tokens = read_count(*usage, "outputTokens");
    completion.usage.cached_tokens = cache_read;
  }
  translation.body = make_chat_completion(std::move(completion), context);
  return translation;
}

}  // namespace batchgate::translators
