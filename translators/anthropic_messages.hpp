#pragma once
// /v1/chat/completions ⇄ Anthropic Claude Messages API on Bedrock (InvokeModel body,
// spec/bedrock-batch.md §10.2; OpenAI side spec/openai-batch.md §6).

#include <string_view>

#include "translators/translator.hpp"

namespace batchgate::translators {

class AnthropicMessages final : public Translator {
 public:
  Endpoint endpoint() const override { return Endpoint::kChatCompletions; }
  std::string_view family() const override { return "anthropic_messages"; }
  RequestTranslation to_bedrock(JsonValue body, const RequestOptions& options) const override;
  ResponseTranslation to_openai(std::span<const JsonValue> outputs,
                                const ResponseContext& context) const override;
};

// Claude stop_reason → OpenAI finish_reason (spec/bedrock-batch.md §10.2); "stop" for anything else.
std::string_view anthropic_finish_reason(std::string_view stop_reason);

}  // namespace batchgate::translators
