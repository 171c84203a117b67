#include "translators/nova_messages.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "translators/chat_conversation.hpp"
#include "translators/chat_request.hpp"
#include "translators/json_writer.hpp"
#include "translators/chat_response.hpp"

namespace batchgate::translators {
namespace {

using namespace chat;

constexpr std::string_view kLabel = "Amazon Nova";
constexpr std::array<std::string_view, 9> kHandledKeys = {
    "messages", "max_tokens", "max_completion_tokens", "temperature",    "top_p",
    "stop",     "tools",      "tool_choice",           "response_format"};

void write_block(JsonWriter& out, const Block& block) {
  out.begin_object();
  switch (block.kind) {
    case BlockKind::kText:
      out.field("text", block.text);
      break;
    case BlockKind::kImage:
      out.key("image").begin_object().field("format", block.image.format);
      out.key("source").begin_object().field("bytes", block.image.base64).end_object().end_object();
      break;
    case BlockKind::kToolUse:
      out.key("toolUse").begin_object().field("toolUseId", block.id).field("name", block.name);
      out.key("input").raw(block.input).end_object();
      break;
    case BlockKind::kToolResult:
      out.key("toolResult").begin_object().field("toolUseId", block.id);
      out.key("content").begin_array().begin_object().field("text", block.text).end_object().end_array();
      out.field("status", "success").end_object();
      break;
  }
  out.end_object();
}

void write_tool_spec(JsonWriter& out, std::string_view name, std::optional<std::string_view> description,
                     std::optional<JsonValue> schema, bool with_properties) {
  out.begin_object().key("toolSpec").begin_object().field("name", name);
  if (description) out.field("description", *description);
  out.key("inputSchema").begin_object().key("json");
  write_schema(out, schema, with_properties);
  out.end_object().end_object().end_object();
}

// toolConfig (spec/bedrock-batch.md §10.3), left out when no tools are sent. Nova has no toolChoice "none",
// so tool_choice "none" sends no tools at all (spec/openai-batch.md §6).
void write_tool_config(JsonWriter& out, const ToolFields& fields) {
  if (fields.json_response) {
    out.key("toolConfig").begin_object().key("tools").begin_array();
    write_tool_spec(out, kJsonToolName, fields.json_response->description, fields.json_response->schema, false);
    out.end_array().key("toolChoice").begin_object().key("tool").begin_object().field("name", kJsonToolName);
    out.end_object().end_object().end_object();
    return;
  }
  if (fields.tools.empty() || fields.choice.kind == ToolChoiceKind::kNone) return;
  out.key("toolConfig").begin_object().key("tools").begin_array();
  for (const FunctionTool& tool : fields.tools) {
    write_tool_spec(out, tool.name, tool.description, tool.parameters, true);
  }
  out.end_array();
  switch (fields.choice.kind) {
    case ToolChoiceKind::kAuto:
      out.key("toolChoice").begin_object().key("auto").begin_object().end_object().end_object();
      break;
    case ToolChoiceKind::kRequired:
      out.key("toolChoice").begin_object().key("any").begin_object().end_object().end_object();
      break;
    case ToolChoiceKind::kNamed:
      out.key("toolChoice").begin_object().key("tool").begin_object().field("name", fields.choice.name);
      out.end_object().end_object();
      break;
    case ToolChoiceKind::kNone:
    case ToolChoiceKind::kUnset:
      break;
  }
  out.end_object();
}

std::optional<LineError> build_input(JsonValue body, const RequestOptions& options, std::string& text) {
  if (!body.is_object()) return make_error("invalid_type", "body must be a JSON object.", "body");
  if (auto error = check_body_keys(body, kHandledKeys, kLabel, options)) return error;
  Expected<simdjson::dom::array> messages = read_messages(body);
  if (!messages) return std::move(messages.error());
  Conversation conversation;
  if (auto error = read_conversation(*messages, {kLabel, false}, conversation)) return error;
  Expected<Sampling> sampling = read_sampling(body, options, kLabel);
  if (!sampling) return std::move(sampling.error());
  Expected<ToolFields> tools = read_tool_fields(body);
  if (!tools) return std::move(tools.error());

  JsonWriter out(text);
  out.begin_object().field("schemaVersion", "messages-v1");
  if (!conversation.system.empty()) {
    out.key("system").begin_array();
    for (std::string_view system : conversation.system) out.begin_object().field("text", system).end_object();
    out.end_array();
  }
  write_messages(out, conversation.turns, write_block);
  out.key("inferenceConfig").begin_object().field("maxTokens", sampling->max_tokens);
  if (sampling->temperature) out.field("temperature", *sampling->temperature);
  if (sampling->top_p) out.field("topP", *sampling->top_p);
  if (!sampling->stop.empty()) write_strings(out, "stopSequences", sampling->stop);
  out.end_object();
  write_tool_config(out, *tools);
  out.end_object();
  return std::nullopt;
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

RequestTranslation NovaMessages::to_bedrock(JsonValue body, const RequestOptions& options) const {
  std::string input;
  std::optional<LineError> error = build_input(body, options, input);
  return one_record(std::move(error), std::move(input));
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
