#pragma once
// /v1/chat/completions ⇄ Meta Llama 3.x on Bedrock: the chat becomes one prompt in the Llama 3 template
// (spec/bedrock-batch.md §10.4). Llama on Bedrock takes no tools and no stop sequences.

#include <string_view>

#include "translators/translator.hpp"

namespace batchgate::translators {

class LlamaPrompt final : public Translator {
 public:
  // The chat template differs between generations: Llama 3.x (spec/bedrock-batch.md §10.4) and Llama 4
  // (<|header_start|>…<|header_end|>, <|eot|>).
  enum class Template { kLlama3, kLlama4 };
  explicit LlamaPrompt(Template chat_template) : template_(chat_template) {}

  Endpoint endpoint() const override { return Endpoint::kChatCompletions; }
  std::string_view family() const override { return "llama_prompt"; }
  RequestTranslation to_bedrock(JsonValue body, const RequestOptions& options) const override;
  ResponseTranslation to_openai(std::span<const JsonValue> outputs,
                                const ResponseContext& context) const override;

 private:
  Template template_;
};

// Llama stop_reason → OpenAI finish_reason: "length" → "length", anything else → "stop".
std::string_view llama_finish_reason(std::string_view stop_reason);

}  // namespace batchgate::translators
