#include "translators/anthropic_messages.hpp"

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

constexpr std::string_view kLabel = "Claude";
constexpr std::string_view kAnthropicVersion = "bedrock-2023-05-31";
constexpr std::array<std::string_view, 9> kHandledKeys = {
    "messages", "max_tokens", "max_completion_tokens", "temperature",    "top_p",
    "stop",     "tools",      "tool_choice",           "response_format"};

void write_block(JsonWriter& out, const Block& block) {
  out.begin_object();
  switch (block.kind) {
    case BlockKind::kText:
      out.field("type", "text").field("text", block.text);
      break;
    case BlockKind::kImage:
      out.field("type", "image").key("source").begin_object().field("type", "base64");
      out.key("media_type").string("image/" + std::string(block.image.format));
      out.field("data", block.image.base64).end_object();
      break;
    case BlockKind::kToolUse:
      out.field("type", "tool_use").field("id", block.id).field("name", block.name);
      out.key("input").raw(block.input);
      break;
    case BlockKind::kToolResult:
      out.field("type", "tool_result").field("tool_use_id", block.id).field("content", block.text);
      break;
  }
  out.end_object();
}

// Anthropic rejects a final assistant turn (a prefill) that ends in whitespace; the whitespace means
// nothing for the continuation, so it is trimmed (and a blank prefill dropped).
void trim_prefill(std::vector<Turn>& turns) {
  if (turns.empty() || !turns.back().assistant) return;
  std::vector<Block>& blocks = turns.back().blocks;
  Block& block = blocks.back();
  if (block.kind != BlockKind::kText) return;
  std::size_t end = block.text.find_last_not_of(" \t\r\n");
  block.text = block.text.substr(0, end == std::string_view::npos ? 0 : end + 1);
  if (!block.text.empty()) return;
  blocks.pop_back();
  if (blocks.empty()) turns.pop_back();
}

void write_system(JsonWriter& out, const std::vector<std::string_view>& texts) {
  if (texts.empty()) return;
  if (texts.size() == 1) {
    out.field("system", texts.front());
    return;
  }
  std::string joined;
  for (std::string_view text : texts) {
    if (!joined.empty()) joined += "\n\n";
    joined += text;
  }
  out.field("system", joined);
}

void write_tool_choice(JsonWriter& out, const ToolChoice& choice) {
  out.key("tool_choice").begin_object();
  switch (choice.kind) {
    case ToolChoiceKind::kNone:
      out.field("type", "none");
      break;
    case ToolChoiceKind::kRequired:
      out.field("type", "any");
      break;
    case ToolChoiceKind::kNamed:
      out.field("type", "tool").field("name", choice.name);
      break;
    case ToolChoiceKind::kAuto:
    case ToolChoiceKind::kUnset:
      out.field("type", "auto");
      break;
  }
  out.end_object();
}

// The "tools" and "tool_choice" fields: the request's tools, or the response_format emulation (a tool the
// model is forced to call). Nothing when there are none.
void write_tool_fields(JsonWriter& out, const ToolFields& fields) {
  if (fields.json_response) {
    out.key("tools").begin_array().begin_object().field("name", kJsonToolName);
    out.field("description", fields.json_response->description).key("input_schema");
    write_schema(out, fields.json_response->schema, false);
    out.end_object().end_array();
    out.key("tool_choice").begin_object().field("type", "tool").field("name", kJsonToolName).end_object();
    return;
  }
  if (fields.tools.empty()) return;
  out.key("tools").begin_array();
  for (const FunctionTool& tool : fields.tools) {
    out.begin_object().field("name", tool.name);
    if (tool.description) out.field("description", *tool.description);
    out.key("input_schema");
    write_schema(out, tool.parameters, true);
    out.end_object();
  }
  out.end_array();
  if (fields.choice.kind != ToolChoiceKind::kUnset) write_tool_choice(out, fields.choice);
}

std::optional<LineError> build_input(JsonValue body, const RequestOptions& options, std::string& text) {
  if (!body.is_object()) return make_error("invalid_type", "body must be a JSON object.", "body");
  if (auto error = check_body_keys(body, kHandledKeys, kLabel, options)) return error;
  Expected<simdjson::dom::array> messages = read_messages(body);
  if (!messages) return std::move(messages.error());
  Conversation conversation;
  if (auto error = read_conversation(*messages, {kLabel, true}, conversation)) return error;
  trim_prefill(conversation.turns);
  Expected<Sampling> sampling = read_sampling(body, options, kLabel);
  if (!sampling) return std::move(sampling.error());
  Expected<ToolFields> tools = read_tool_fields(body);
  if (!tools) return std::move(tools.error());

  JsonWriter out(text);
  out.begin_object().field("anthropic_version", kAnthropicVersion).field("max_tokens", sampling->max_tokens);
  write_system(out, conversation.system);
  write_messages(out, conversation.turns, write_block);
  if (sampling->temperature) out.field("temperature", *sampling->temperature);
  if (sampling->top_p) out.field("top_p", *sampling->top_p);
  if (!sampling->stop.empty()) write_strings(out, "stop_sequences", sampling->stop);
  write_tool_fields(out, *tools);
  out.end_object();
  return std::nullopt;
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

RequestTranslation AnthropicMessages::to_bedrock(JsonValue body, const RequestOptions& options) const {
  std::string input;
  std::optional<LineError> error = build_input(body, options, input);
  return one_record(std::move(error), std::move(input));
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
