#pragma once
// /v1/chat/completions ⇄ Amazon Nova messages-v1 on Bedrock (InvokeModel body, spec/bedrock-batch.md §10.3;
// OpenAI side spec/openai-batch.md §6).

#include <string_view>

#include "translators/translator.hpp"

namespace batchgate::translators {

class NovaMessages final : public Translator {
 public:
  Endpoint endpoint() const override { return Endpoint::kChatCompletions; }
  std::string_view family() const override { return "nova_messages"; }
  RequestTranslation to_bedrock(JsonValue body, const RequestOptions& options) const override;
  ResponseTranslation to_openai(std::span<const JsonValue> outputs,
                                const ResponseContext& context) const override;
};

// Nova stopReason → OpenAI finish_reason (spec/bedrock-batch.md §10.3); "stop" for anything else.
std::string_view nova_finish_reason(std::string_view stop_reason);

}  // namespace batchgate::translators
