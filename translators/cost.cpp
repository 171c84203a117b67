#include "translators/cost.hpp"

#include <algorithm>

namespace batchgate::translators {

double cost_usd(const TokenUsage& usage, const TokenPrices& prices) {
  std::int64_t input = std::max<std::int64_t>(0, usage.input_tokens);
  std::int64_t cached = std::clamp<std::int64_t>(usage.cached_input_tokens, 0, input);
  double cached_price = prices.cached_input_usd_per_token.value_or(prices.input_usd_per_token);
  auto output = static_cast<double>(std::max<std::int64_t>(0, usage.output_tokens));
  return static_cast<double>(input - cached) * prices.input_usd_per_token +
         static_cast<double>(cached) * cached_price + output * prices.output_usd_per_token;
}

nlohmann::json batch_usage_json(const TokenUsage& usage) {
  return {{"input_tokens", usage.input_tokens},
          {"input_tokens_details", {{"cached_tokens", usage.cached_input_tokens}}},
          {"output_tokens", usage.output_tokens},
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", usage.input_tokens + usage.output_tokens}};
}

}  // namespace batchgate::translators
