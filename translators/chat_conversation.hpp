#pragma once
// OpenAI chat messages → the conversation shape Claude and Nova share (spec/openai-batch.md §6): system
// texts apart, alternating user/assistant turns (consecutive same-role messages merged, tool messages as
// tool-result blocks of a user turn, placed first in it), assistant tool_calls as tool-use blocks. Each
// family only writes the blocks in its own JSON shape. Blocks borrow text from the request document and
// from the conversation's arena.

#include <optional>
#include <string_view>
#include <vector>

#include "translators/chat_request.hpp"

namespace batchgate::translators::chat {

enum class BlockKind { kText, kImage, kToolUse, kToolResult };

struct Block {
  BlockKind kind = BlockKind::kText;
  std::string_view text;   // kText; kToolResult: the result text
  std::string_view id;     // kToolUse: the call id; kToolResult: the id of the call it answers
  std::string_view name;   // kToolUse: the function name
  std::string_view input;  // kToolUse: the arguments as compact JSON object text
  InlineImage image;       // kImage
};

struct Turn {
  bool assistant = false;
  std::vector<Block> blocks;
};

// Where the two families read user content differently.
struct ConversationRules {
  std::string_view label;  // the model family in messages: "Claude", "Amazon Nova"
  // Claude rejects empty text blocks: empty text parts are left out, and a user message left with nothing
  // is a line error. Nova passes user text through as it is.
  bool skip_empty_user_text = false;
};

struct Conversation {
  std::vector<std::string_view> system;  // the non-empty system/developer texts, in order
  std::vector<Turn> turns;               // never empty after a successful read
  TextArena arena;
};

// Reads `messages` into `out` (a fresh Conversation); the error of the first bad message otherwise.
std::optional<LineError> read_conversation(simdjson::dom::array messages, const ConversationRules& rules,
                                           Conversation& out);

// Writes "messages": the turns as {"role", "content": [blocks]}, each block in the family's shape.
void write_messages(JsonWriter& out, const std::vector<Turn>& turns,
                    void (*write_block)(JsonWriter&, const Block&));

// Writes `key`: an array of strings (stop sequences).
void write_strings(JsonWriter& out, std::string_view key, const std::vector<std::string_view>& values);

}  // namespace batchgate::translators::chat
