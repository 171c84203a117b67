#include "translators/anthropic_messages.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "translators/chat_request.hpp"
#include "translators/chat_response.hpp"

namespace batchgate::translators {
namespace {

using nlohmann::json;
using namespace chat;

constexpr std::string_view kLabel = "Claude";
constexpr std::string_view kAnthropicVersion = "bedrock-2023-05-31";
constexpr std::array<std::string_view, 9> kHandledKeys = {
    "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
    "stop",     "tools",      "tool_choice",           "response_format"};

struct Conversation {
  std::string system;
  json messages = json::array();
};

// Claude wants alternating turns, so consecutive same-role messages (e.g. several tool results, or a tool
// result followed by user text) become one turn (spec/openai-batch.md §6).
void append_turn(json& messages, std::string_view role, json blocks) {
  if (!messages.empty() && messages.back()["role"] == role) {
    json& content = messages.back()["content"];
    for (json& block : blocks) content.push_back(std::move(block));
    return;
  }
  messages.push_back({{"role", role}, {"content", std::move(blocks)}});
}

// Anthropic requires the tool_result blocks of a user turn to come before any other block.
void put_tool_results_first(json& messages) {
  for (json& turn : messages) {
    if (turn["role"] != "user") continue;
    auto& blocks = turn["content"].get_ref<json::array_t&>();
    std::stable_partition(blocks.begin(), blocks.end(),
                          [](const json& block) { return block["type"] == "tool_result"; });
  }
}

// Anthropic rejects a final assistant turn (a prefill) that ends in whitespace; the whitespace carries no
// meaning for the continuation, so it is trimmed.
void trim_prefill(json& messages) {
  if (messages.empty() || messages.back()["role"] != "assistant") return;
  json& block = messages.back()["content"].back();
  if (block["type"] != "text") return;
  auto& text = block["text"].get_ref<std::string&>();
  text.erase(text.find_last_not_of(" \t\r\n") + 1);
  if (!text.empty()) return;
  json& content = messages.back()["content"];
  content.erase(content.size() - 1);
  if (content.empty()) messages.erase(messages.size() - 1);
}

Expected<json> user_blocks(const json& content, const std::string& param) {
  if (content.is_string() && !content.get_ref<const std::string&>().empty()) {
    return json::array({{{"type", "text"}, {"text", content}}});
  }
  if (content.is_string()) {
    return make_error("invalid_value", param + " is empty; Claude needs text or an image in every user message.",
                      param);
  }
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
      // Claude rejects empty text blocks; an empty part adds nothing, so it is left out.
      if (!text->get_ref<const std::string&>().empty()) blocks.push_back({{"type", "text"}, {"text", *text}});
      continue;
    }
    if (type == nullptr || *type != "image_url") {
      return make_error("unsupported_value",
                        part_param + " has type " + (type ? describe(*type) : "null") +
                            "; Claude on Bedrock accepts \"text\" and \"image_url\" parts.",
                        part_param);
    }
    Expected<InlineImage> image = read_image_part(part, part_param);
    if (!image) return std::move(image.error());
    blocks.push_back({{"type", "image"},
                      {"source",
                       {{"type", "base64"},
                        {"media_type", "image/" + std::string(image->format)},
                        {"data", image->base64}}}});
  }
  if (blocks.empty()) {
    return make_error("invalid_value", param + " is empty; Claude needs text or an image in every user message.",
                      param);
  }
  return blocks;
}

Expected<json> assistant_blocks(const json& message, const std::string& param) {
  json blocks = json::array();
  const json* content = find_set(message, "content");
  if (content != nullptr) {
    Expected<std::string> text = read_text_content(*content, param + ".content");
    if (!text) return std::move(text.error());
    if (!text->empty()) blocks.push_back({{"type", "text"}, {"text", std::move(*text)}});
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
    blocks.push_back({{"type", "tool_use"}, {"id", *ref->id}, {"name", *ref->name}, {"input", std::move(*input)}});
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
    if (!conversation.system.empty() && !text->empty()) conversation.system += "\n\n";
    conversation.system += *text;
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
    json block = {{"type", "tool_result"}, {"tool_use_id", **id}, {"content", std::move(*text)}};
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
  trim_prefill(conversation.messages);
  return conversation;
}

json claude_tool_choice(const ToolChoice& choice) {
  switch (choice.kind) {
    case ToolChoiceKind::kNone:
      return {{"type", "none"}};
    case ToolChoiceKind::kRequired:
      return {{"type", "any"}};
    case ToolChoiceKind::kNamed:
      return {{"type", "tool"}, {"name", choice.name}};
    case ToolChoiceKind::kAuto:
    case ToolChoiceKind::kUnset:
      break;
  }
  return {{"type", "auto"}};
}

// tools, tool_choice and the response_format emulation (a tool the model is forced to call).
std::optional<LineError> add_tools(json& input, const json& body) {
  Expected<std::vector<FunctionTool>> tools = read_tools(body);
  if (!tools) return std::move(tools.error());
  Expected<ToolChoice> choice = read_tool_choice(body, *tools);
  if (!choice) return std::move(choice.error());
  Expected<std::optional<JsonResponse>> json_response = read_response_format(body, !tools->empty());
  if (!json_response) return std::move(json_response.error());
  if (json_response->has_value()) {
    JsonResponse& response = **json_response;
    input["tools"] = json::array({{{"name", kJsonToolName},
                                   {"description", std::move(response.description)},
                                   {"input_schema", std::move(response.schema)}}});
    input["tool_choice"] = {{"type", "tool"}, {"name", kJsonToolName}};
    return std::nullopt;
  }
  if (tools->empty()) return std::nullopt;
  json list = json::array();
  for (const FunctionTool& tool : *tools) {
    json spec = {{"name", *tool.name},
                 {"input_schema", tool.parameters ? *tool.parameters
                                                  : json{{"type", "object"}, {"properties", json::object()}}}};
    if (tool.description != nullptr) spec["description"] = *tool.description;
    list.push_back(std::move(spec));
  }
  input["tools"] = std::move(list);
  if (choice->kind != ToolChoiceKind::kUnset) input["tool_choice"] = claude_tool_choice(*choice);
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

  json input = {{"anthropic_version", kAnthropicVersion}, {"max_tokens", *max_tokens}};
  if (!conversation->system.empty()) input["system"] = std::move(conversation->system);
  input["messages"] = std::move(conversation->messages);
  if (*temperature) input["temperature"] = **temperature;
  if (*top_p) input["top_p"] = **top_p;
  if (!stop->empty()) input["stop_sequences"] = std::move(*stop);
  if (auto error = add_tools(input, body)) return std::move(*error);
  return input;
}

}  // namespace

std::string_view anthropic_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn and anything new
}

RequestTranslation AnthropicMessages::to_bedrock(const json& body, const RequestOptions& options) const {
  RequestTranslation translation;
  Expected<json> input = build_input(body, options);
  if (!input) {
    translation.error = std::move(input.error());
    return translation;
  }
  translation.model_inputs.push_back(std::move(*input));
  return translation;
}

ResponseTranslation AnthropicMessages::to_openai(std::span<const json> outputs, const ResponseContext& context) const {
  ResponseTranslation translation;
  constexpr std::string_view kName = "Claude Messages";
  if (outputs.size() != 1) {
    translation.error = invalid_output(kName, "expected exactly one record for the request");
    return translation;
  }
  const json& output = outputs[0];
  const json* content = output.is_object() ? find_set(output, "content") : nullptr;
  if (content == nullptr || !content->is_array()) {
    translation.error = invalid_output(kName, "no content array");
    return translation;
  }
  Completion completion;
  std::string text;
  bool has_text = false;
  bool json_tool = false;
  for (const json& block : *content) {
    const json* type = block.is_object() ? find_set(block, "type") : nullptr;
    if (type == nullptr) continue;
    if (*type == "text" && block.contains("text") && block["text"].is_string()) {
      text += block["text"].get_ref<const std::string&>();
      has_text = true;
    } else if (*type == "tool_use") {
      const json* input = find_set(block, "input");
      std::string arguments = input ? input->dump() : "{}";
      std::string name = block.value("name", "");
      if (name == kJsonToolName) {
        // The forced response_format tool: its input is the JSON answer (see chat_request.hpp).
        text += arguments;
        has_text = json_tool = true;
        continue;
      }
      completion.tool_calls.push_back({block.value("id", ""), std::move(name), std::move(arguments)});
    }
  }
  if (has_text || completion.tool_calls.empty()) completion.content = std::move(text);
  completion.finish_reason = anthropic_finish_reason(string_at(output, "stop_reason"));
  if (json_tool && completion.tool_calls.empty() && completion.finish_reason == "tool_calls") {
    completion.finish_reason = "stop";
  }
  const json* usage = find_set(output, "usage");
  if (usage != nullptr && usage->is_object()) {
    std::int64_t cache_read = read_count(*usage, "cache_read_input_tokens");
    completion.usage.prompt_tokens =
        read_count(*usage, "input_tokens") + cache_read + read_count(*usage, "cache_creation_input_tokens");
    completion.usage.completion_tokens = read_count(*usage, "output_tokens");
    completion.usage.cached_tokens = cache_read;
  }
  translation.body = make_chat_completion(std::move(completion), context);
  return translation;
}

}  // namespace batchgate::translators
