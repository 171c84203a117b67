#include "translators/cost.hpp"

#include <algorithm>

namespace batchgate::translators {
namespace {

using nlohmann::json;

std::int64_t count(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return 0;
  return std::max<std::int64_t>(0, it->get<std::int64_t>());
}

const json* find_object(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

double cost_usd(const TokenUsage& usage, const TokenPrices& prices) {
  std::int64_t input = std::max<std::int64_t>(0, usage.input_tokens);
  std::int64_t cached = std::clamp<std::int64_t>(usage.cached_input_tokens, 0, input);
  double cached_price = prices.cached_input_usd_per_token.value_or(prices.input_usd_per_token);
  auto output = static_cast<double>(std::max<std::int64_t>(0, usage.output_tokens));
  return static_cast<double>(input - cached) * prices.input_usd_per_token +
         static_cast<double>(cached) * cached_price + output * prices.output_usd_per_token;
}

TokenUsage usage_of_response(const json& body) {
  TokenUsage usage;
  const json* counts = body.is_object() ? find_object(body, "usage") : nullptr;
  if (counts == nullptr) return usage;
  usage.input_tokens = count(*counts, "prompt_tokens");
  usage.output_tokens = count(*counts, "completion_tokens");
  if (const json* details = find_object(*counts, "prompt_tokens_details")) {
    usage.cached_input_tokens = count(*details, "cached_tokens");
  }
  return usage;
}

json batch_usage_json(const TokenUsage& usage) {
  return {{"input_tokens", usage.input_tokens},
          {"input_tokens_details", {{"cached_tokens", usage.cached_input_tokens}}},
          {"output_tokens", usage.output_tokens},
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", usage.input_tokens + usage.output_tokens}};
}

}  // namespace batchgate::translators
