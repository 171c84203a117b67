#pragma once
// Usage × price → cost in USD, for spend tracking (DESIGN.md "Results"). Prices come from the model's
// configuration (LiteLLM's input_cost_per_token / output_cost_per_token, batch prices).

#include <cstdint>
#include <nlohmann/json.hpp>

namespace batchgate::translators {

struct TokenUsage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;

  TokenUsage& operator+=(const TokenUsage& other) {
    input_tokens += other.input_tokens;
    output_tokens += other.output_tokens;
    return *this;
  }
  bool operator==(const TokenUsage&) const = default;
};

struct TokenPrices {
  double input_usd_per_token = 0.0;
  double output_usd_per_token = 0.0;
};

// Negative counts (never sent by Bedrock) count as zero, so a bad record cannot give credit back.
double cost_usd(const TokenUsage& usage, const TokenPrices& prices);

// The usage of an OpenAI response body made by a translator: chat.completion prompt/completion tokens, or
// an embedding list's prompt tokens. Zero when the body has no usage.
TokenUsage usage_of_response(const nlohmann::json& body);

}  // namespace batchgate::translators
