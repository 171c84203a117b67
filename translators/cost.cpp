#include "translators/cost.hpp"

#include <algorithm>

namespace batchgate::translators {
namespace {

std::int64_t count(const nlohmann::json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end() || !it->is_number_integer()) return 0;
  return std::max<std::int64_t>(0, it->get<std::int64_t>());
}

}  // namespace

double cost_usd(const TokenUsage& usage, const TokenPrices& prices) {
  auto input = static_cast<double>(std::max<std::int64_t>(0, usage.input_tokens));
  auto output = static_cast<double>(std::max<std::int64_t>(0, usage.output_tokens));
  return input * prices.input_usd_per_token + output * prices.output_usd_per_token;
}

TokenUsage usage_of_response(const nlohmann::json& body) {
  TokenUsage usage;
  if (!body.is_object()) return usage;
  auto it = body.find("usage");
  if (it == body.end() || !it->is_object()) return usage;
  usage.input_tokens = count(*it, "prompt_tokens");
  usage.output_tokens = count(*it, "completion_tokens");
  return usage;
}

}  // namespace batchgate::translators
