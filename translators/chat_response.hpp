#pragma once
// Building the OpenAI chat.completion body (spec/openai-batch.md §6) from what a chat family read out of a
// Bedrock modelOutput.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "translators/json_value.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators::chat {

struct ToolCall {
  std::string_view id;  // views into the parsed modelOutput, valid while its parser holds it
  std::string_view name;
  std::string arguments;  // compact JSON text of the tool input, as OpenAI clients expect
};

struct Usage {
  std::int64_t prompt_tokens = 0;  // including cached tokens, as OpenAI counts them
  std::int64_t completion_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t reasoning_tokens = 0;
};

// The answer's text: a single piece is borrowed from the parsed modelOutput, several are joined.
class Text {
 public:
  // `piece` must stay valid as long as the Text (a view into the parsed modelOutput).
  void append_borrowed(std::string_view piece) {
    if (!joined_ && first_.empty()) {
      first_ = piece;
      return;
    }
    append_copy(piece);
  }
  void append_copy(std::string_view piece) {
    if (!joined_) {
      joined_ = true;
      owned_.assign(first_);
    }
    owned_ += piece;
  }
  std::string_view view() const { return joined_ ? std::string_view(owned_) : first_; }

 private:
  std::string_view first_;
  std::string owned_;
  bool joined_ = false;
};

struct Completion {
  std::optional<Text> content;  // null when the answer is only tool calls
  std::vector<ToolCall> tool_calls;
  std::string_view finish_reason = "stop";
  Usage usage;
};

// The chat.completion body as compact JSON text, and its usage for billing.
ResponseTranslation make_chat_completion(const Completion& completion, const ResponseContext& context);

// An error for a modelOutput the translator cannot read; `detail` says what was wrong.
LineError invalid_output(std::string_view family, std::string_view detail);

// A non-negative integer counter from `object[key]`, 0 when absent or not a number.
std::int64_t read_count(JsonValue object, std::string_view key);

}  // namespace batchgate::translators::chat
