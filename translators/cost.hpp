#pragma once
// Usage × price → cost in USD, for spend tracking (DESIGN.md "Results"), and the batch `usage` object
// (spec/openai-batch.md §3.5). Prices come from the model's configuration (LiteLLM's input_cost_per_token /
// output_cost_per_token / cache_read_input_token_cost, at batch prices).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace batchgate::translators {

struct TokenUsage {
  std::int64_t input_tokens = 0;         // all prompt tokens, cached ones included (OpenAI's prompt_tokens)
  std::int64_t output_tokens = 0;        // completion tokens
  std::int64_t cached_input_tokens = 0;  // the part of input_tokens read from a prompt cache

  TokenUsage& operator+=(const TokenUsage& other) {
    input_tokens += other.input_tokens;
    output_tokens += other.output_tokens;
    cached_input_tokens += other.cached_input_tokens;
    return *this;
  }
  bool operator==(const TokenUsage&) const = default;
};

struct TokenPrices {
  double input_usd_per_token = 0.0;
  double output_usd_per_token = 0.0;
  std::optional<double> cached_input_usd_per_token;  // unset: cached tokens cost as much as other input
};

// Negative counts (never sent by Bedrock) count as zero, so a bad record cannot give credit back; cached
// tokens beyond input_tokens are capped at input_tokens.
double cost_usd(const TokenUsage& usage, const TokenPrices& prices);

// The Batch object's `usage`: {input_tokens, input_tokens_details:{cached_tokens}, output_tokens,
// output_tokens_details:{reasoning_tokens}, total_tokens}.
nlohmann::json batch_usage_json(const TokenUsage& usage);

}  // namespace batchgate::translators
