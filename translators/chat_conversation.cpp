#include "translators/chat_conversation.hpp"

#include <algorithm>
#include <utility>

namespace batchgate::translators::chat {
namespace {

LineError empty_user_content(const std::string& param, std::string_view label) {
  return make_error(
      "invalid_value",
      param + " is empty; " + std::string(label) + " needs text or an image in every user message.", param);
}

Block text_block(std::string_view text) {
  Block block;
  block.text = text;
  return block;
}

std::optional<LineError> add_user_blocks(JsonValue content, const std::string& param,
                                         const ConversationRules& rules, std::vector<Block>& blocks) {
  if (content.is_string()) {
    std::string_view text = as_string(content);
    if (text.empty() && rules.skip_empty_user_text) return empty_user_content(param, rules.label);
    blocks.push_back(text_block(text));
    return std::nullopt;
  }
  if (!content.is_array()) {
    return make_error("invalid_type", param + " must be a string or an array of content parts.", param);
  }
  const std::size_t before = blocks.size();
  std::size_t j = 0;
  for (JsonValue part : simdjson::dom::array(content)) {
    std::string part_param = param + "[" + std::to_string(j++) + "]";
    std::string_view type = string_at(part, "type");
    std::optional<JsonValue> text = find_set(part, "text");
    if (type == "text" && text && text->is_string()) {
      if (!(rules.skip_empty_user_text && as_string(*text).empty()))
        blocks.push_back(text_block(as_string(*text)));
      continue;
    }
    if (type != "image_url") {
      return make_error("unsupported_value",
                        part_param + " has type \"" + std::string(type) + "\"; " + std::string(rules.label) +
                            " on Bedrock accepts \"text\" and \"image_url\" parts.",
                        part_param);
    }
    Expected<InlineImage> image = read_image_part(part, part_param);
    if (!image) return std::move(image.error());
    Block block;
    block.kind = BlockKind::kImage;
    block.image = *image;
    blocks.push_back(block);
  }
  if (blocks.size() == before && rules.skip_empty_user_text) return empty_user_content(param, rules.label);
  return std::nullopt;
}

std::optional<LineError> add_assistant_blocks(JsonValue message, const std::string& param, TextArena& arena,
                                              std::vector<Block>& blocks) {
  const std::size_t before = blocks.size();
  if (std::optional<JsonValue> content = find_set(message, "content")) {
    Expected<std::string_view> text = read_text_content(content, param + ".content", arena);
    if (!text) return std::move(text.error());
    if (!text->empty()) blocks.push_back(text_block(*text));
  }
  std::optional<JsonValue> calls = find_set(message, "tool_calls");
  if (calls && !calls->is_array()) {
    return make_error("invalid_type", param + ".tool_calls must be an array.", param + ".tool_calls");
  }
  if (calls) {
    std::size_t j = 0;
    for (JsonValue call : simdjson::dom::array(*calls)) {
      std::string call_param = param + ".tool_calls[" + std::to_string(j++) + "]";
      Expected<ToolCallRef> ref = read_tool_call_ref(call, call_param);
      if (!ref) return std::move(ref.error());
      Expected<std::string_view> input = read_tool_arguments(call, call_param, arena);
      if (!input) return std::move(input.error());
      Block block;
      block.kind = BlockKind::kToolUse;
      block.id = ref->id;
      block.name = ref->name;
      block.input = *input;
      blocks.push_back(block);
    }
  }
  if (blocks.size() == before) {
    return make_error("invalid_value", param + " needs non-empty content or tool_calls.", param + ".content");
  }
  return std::nullopt;
}

std::optional<LineError> add_tool_result(JsonValue message, std::size_t i, TextArena& arena,
                                         std::vector<Block>& blocks) {
  Expected<std::string_view> id = read_tool_call_id(message, i);
  if (!id) return std::move(id.error());
  Expected<std::string_view> text =
      read_text_content(find_set(message, "content"), message_param(i) + ".content", arena);
  if (!text) return std::move(text.error());
  Block block;
  block.kind = BlockKind::kToolResult;
  block.id = *id;
  block.text = *text;
  blocks.push_back(block);
  return std::nullopt;
}

}  // namespace

std::optional<LineError> read_conversation(simdjson::dom::array messages, const ConversationRules& rules,
                                           Conversation& out) {
  std::size_t i = 0;
  for (JsonValue message : messages) {
    const std::size_t index = i++;
    std::string param = message_param(index);
    std::string_view role = string_at(message, "role");
    if (role == "system" || role == "developer") {
      Expected<std::string_view> text =
          read_text_content(find_set(message, "content"), param + ".content", out.arena);
      if (!text) return std::move(text.error());
      if (!text->empty()) out.system.push_back(*text);
      continue;
    }
    if (role != "user" && role != "assistant" && role != "tool") {
      return make_error(
          "invalid_value",
          param +
              ".role must be one of \"system\", \"developer\", \"user\", \"assistant\", \"tool\", got \"" +
              std::string(role) + "\".",
          param + ".role");
    }
    // Both families want alternating turns, so consecutive same-role messages (several tool results, or
    // a tool result followed by user text) become one turn.
    const bool assistant = role == "assistant";
    if (out.turns.empty() || out.turns.back().assistant != assistant)
      out.turns.push_back(Turn{assistant, {}});
    std::vector<Block>& blocks = out.turns.back().blocks;
    std::optional<LineError> error;
    if (role == "user") {
      std::optional<JsonValue> content = find_set(message, "content");
      if (!content) return make_error("invalid_value", param + ".content is required.", param + ".content");
      error = add_user_blocks(*content, param + ".content", rules, blocks);
    } else if (assistant) {
      error = add_assistant_blocks(message, param, out.arena, blocks);
    } else {
      error = add_tool_result(message, index, out.arena, blocks);
    }
    if (error) return error;
  }
  if (out.turns.empty()) {
    return make_error(
        "invalid_value",
        "body.messages needs at least one user message; system and developer messages alone are "
        "not a conversation.",
        "body.messages");
  }
  // Tool results answer the previous assistant turn, so they lead the user turn (Anthropic requires it),
  // even when the OpenAI conversation put user text between the tool call and its result.
  for (Turn& turn : out.turns) {
    if (turn.assistant) continue;
    std::stable_partition(turn.blocks.begin(), turn.blocks.end(),
                          [](const Block& block) { return block.kind == BlockKind::kToolResult; });
  }
  return std::nullopt;
}

void write_messages(JsonWriter& out, const std::vector<Turn>& turns,
                    void (*write_block)(JsonWriter&, const Block&)) {
  out.key("messages").begin_array();
  for (const Turn& turn : turns) {
    out.begin_object().field("role", turn.assistant ? "assistant" : "user").key("content").begin_array();
    for (const Block& block : turn.blocks) write_block(out, block);
    out.end_array().end_object();
  }
  out.end_array();
}

void write_strings(JsonWriter& out, std::string_view key, const std::vector<std::string_view>& values) {
  out.key(key).begin_array();
  for (std::string_view value : values) out.string(value);
  out.end_array();
}

}  // namespace batchgate::translators::chat
