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
    "messages", "max_tokens", "max_completion_tokens", "temperature",    "top_p",
    "stop",     "tools",      "tool_choice",           "response_format"};

LineError empty_user_content(const std::string& param) {
  return make_error("invalid_value",
                    param + " is empty; Claude needs text or an image in every user message.", param);
}

json text_block(json text) {
  return {{"type", "text"}, {"text", std::move(text)}};
}

Expected<json> user_blocks(const json& content, const std::string& param) {
  if (content.is_string()) {
    if (content.get_ref<const std::string&>().empty()) return empty_user_content(param);
    return json::array({text_block(content)});
  }
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
      // Claude rejects empty text blocks; an empty part adds nothing, so it is left out.
      if (!text->get_ref<const std::string&>().empty()) blocks.push_back(text_block(*text));
      continue;
    }
    if (type != "image_url") {
      return make_error("unsupported_value",
                        part_param + " has type \"" + std::string(type) +
                            "\"; Claude on Bedrock accepts \"text\" and \"image_url\" parts.",
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
  if (blocks.empty()) return empty_user_content(param);
  return blocks;
}

Expected<json> assistant_blocks(const json& message, const std::string& param) {
  json blocks = json::array();
  if (const json* content = find_set(message, "content")) {
    Expected<std::string> text = read_text_content(*content, param + ".content");
    if (!text) return std::move(text.error());
    if (!text->empty()) blocks.push_back(text_block(std::move(*text)));
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
        {{"type", "tool_use"}, {"id", *ref->id}, {"name", *ref->name}, {"input", std::move(*input)}});
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
  return json::array({{{"type", "tool_result"}, {"tool_use_id", **id}, {"content", std::move(*text)}}});
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

// OpenAI messages → Claude's top-level system text and alternating user/assistant turns.
class Conversation {
 public:
  std::optional<LineError> add(const json& message, std::size_t i) {
    std::string param = message_param(i);
    std::string_view role = string_at(message, "role");
    if (role == "system" || role == "developer") {
      const json* content = find_set(message, "content");
      Expected<std::string> text = read_text_content(content ? *content : json(), param + ".content");
      if (!text) return std::move(text.error());
      if (!system_.empty() && !text->empty()) system_ += "\n\n";
      system_ += *text;
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
    trim_prefill();
    return std::move(messages_);
  }
  std::string take_system() { return std::move(system_); }

 private:
  // Claude wants alternating turns, so consecutive same-role messages (several tool results, or a tool
  // result followed by user text) become one turn (spec/openai-batch.md §6).
  void append_turn(std::string_view role, json blocks) {
    if (!messages_.empty() && messages_.back()["role"] == role) {
      json& content = messages_.back()["content"];
      for (json& block : blocks) content.push_back(std::move(block));
      return;
    }
    messages_.push_back({{"role", role}, {"content", std::move(blocks)}});
  }

  // Anthropic requires the tool_result blocks of a user turn to come before any other block.
  void put_tool_results_first() {
    for (json& turn : messages_) {
      if (turn["role"] != "user") continue;
      auto& blocks = turn["content"].get_ref<json::array_t&>();
      std::stable_partition(blocks.begin(), blocks.end(),
                            [](const json& block) { return block["type"] == "tool_result"; });
    }
  }

  // Anthropic rejects a final assistant turn (a prefill) that ends in whitespace; the whitespace means
  // nothing for the continuation, so it is trimmed (and a blank prefill dropped).
  void trim_prefill() {
    if (messages_.back()["role"] != "assistant") return;
    json& content = messages_.back()["content"];
    json& block = content.back();
    if (block["type"] != "text") return;
    auto& text = block["text"].get_ref<std::string&>();
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    if (!text.empty()) return;
    content.erase(content.size() - 1);
    if (content.empty()) messages_.erase(messages_.size() - 1);
  }

  std::string system_;
  json messages_ = json::array();
};

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

// The "tools" and "tool_choice" fields: the request's tools, or the response_format emulation (a tool the
// model is forced to call). An empty object when there are none.
Expected<json> tool_fields(const json& body) {
  Expected<std::vector<FunctionTool>> tools = read_tools(body);
  if (!tools) return std::move(tools.error());
  Expected<ToolChoice> choice = read_tool_choice(body, *tools);
  if (!choice) return std::move(choice.error());
  Expected<std::optional<JsonResponse>> json_response = read_response_format(body, !tools->empty());
  if (!json_response) return std::move(json_response.error());
  json fields = json::object();
  if (json_response->has_value()) {
    JsonResponse& response = **json_response;
    fields["tools"] = json::array({{{"name", kJsonToolName},
                                    {"description", std::move(response.description)},
                                    {"input_schema", std::move(response.schema)}}});
    fields["tool_choice"] = {{"type", "tool"}, {"name", kJsonToolName}};
    return fields;
  }
  if (tools->empty()) return fields;
  json& list = fields["tools"] = json::array();
  for (const FunctionTool& tool : *tools) {
    json spec = {
        {"name", *tool.name},
        {"input_schema",
         tool.parameters ? *tool.parameters : json{{"type", "object"}, {"properties", json::object()}}}};
    if (tool.description != nullptr) spec["description"] = *tool.description;
    list.push_back(std::move(spec));
  }
  if (choice->kind != ToolChoiceKind::kUnset) fields["tool_choice"] = claude_tool_choice(*choice);
  return fields;
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
  Expected<json> tools = tool_fields(body);
  if (!tools) return std::move(tools.error());

  json input = {{"anthropic_version", kAnthropicVersion}, {"max_tokens", sampling->max_tokens}};
  if (std::string system = conversation.take_system(); !system.empty()) input["system"] = std::move(system);
  input["messages"] = std::move(*turns);
  if (sampling->temperature) input["temperature"] = *sampling->temperature;
  if (sampling->top_p) input["top_p"] = *sampling->top_p;
  if (!sampling->stop.empty()) input["stop_sequences"] = std::move(sampling->stop);
  input.update(*tools);
  return input;
}

struct Answer {
  Completion completion;
  bool json_tool = false;  // the forced response_format tool answered
};

// Text and tool calls of a Claude response; the forced response_format tool's input becomes the text.
Answer read_content(simdjson::dom::array content) {
  Answer answer;
  Completion& completion = answer.completion;
  Text text;
  bool has_text = false;
  for (JsonValue block : content) {
    std::string_view type = translators::string_at(block, "type");
    if (type == "text") {
      text.append_borrowed(translators::string_at(block, "text"));
      has_text = true;
      continue;
    }
    if (type != "tool_use") continue;  // thinking and redacted_thinking are not part of the answer
    std::optional<JsonValue> input = translators::find_set(block, "input");
    std::string arguments = input ? to_json_text(*input) : "{}";
    std::string_view name = translators::string_at(block, "name");
    if (name == kJsonToolName) {
      text.append_copy(arguments);
      has_text = answer.json_tool = true;
      continue;
    }
    completion.tool_calls.push_back({translators::string_at(block, "id"), name, std::move(arguments)});
  }
  if (has_text || completion.tool_calls.empty()) completion.content = std::move(text);
  return answer;
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

ResponseTranslation AnthropicMessages::to_openai(std::span<const JsonValue> outputs,
                                                 const ResponseContext& context) const {
  ResponseTranslation translation;
  constexpr std::string_view kName = "Claude Messages";
  if (outputs.size() != 1) {
    translation.error = invalid_output(kName, "expected exactly one record for the request");
    return translation;
  }
  const JsonValue output = outputs[0];
  std::optional<JsonValue> content = translators::find_set(output, "content");
  simdjson::dom::array blocks;
  if (!content || content->get_array().get(blocks) != simdjson::SUCCESS) {
    translation.error = invalid_output(kName, "no content array");
    return translation;
  }
  auto [completion, answered_by_json_tool] = read_content(blocks);
  completion.finish_reason = anthropic_finish_reason(translators::string_at(output, "stop_reason"));
  // The forced response_format tool is the answer, not a tool call the client has to run.
  if (answered_by_json_tool && completion.tool_calls.empty() && completion.finish_reason == "tool_calls") {
    completion.finish_reason = "stop";
  }
  if (std::optional<JsonValue> usage = translators::find_set(output, "usage"); usage && usage->is_object()) {
    std::int64_t cache_read = read_count(*usage, "cache_read_input_tokens");
    completion.usage.prompt_tokens =
        read_count(*usage, "input_tokens") + cache_read + read_count(*usage, "cache_creation_input_tokens");
    completion.usage.completion_tokens = read_count(*usage, "output_tokens");
    completion.usage.cached_tokens = cache_read;
  }
  return make_chat_completion(completion, context);
}

}  // namespace batchgate::translators
