#include "model_limits.hpp"

#include <array>

namespace batchgate::bedrock_emulator {

namespace {

struct Row {
  std::string_view id_part;
  ModelLimits limits;
};

// The first row whose id_part the model id contains wins: more specific ids first.
constexpr std::array<Row, 18> kRows = {{
    {"anthropic.claude-3-haiku", {4096, false}},
    {"anthropic.claude-3-sonnet", {4096, false}},
    {"anthropic.claude-3-opus", {4096, false}},
    {"anthropic.claude-3-5-haiku", {8192, false}},
    {"anthropic.claude-3-5-sonnet", {8192, false}},
    {"anthropic.claude-3-7-sonnet", {64000, false}},
    {"anthropic.claude-sonnet-4-5", {64000, true}},
    {"anthropic.claude-haiku-4-5", {64000, true}},
    {"anthropic.claude-opus-4-5", {64000, true}},
    {"anthropic.claude-opus-4-1", {32000, true}},
    {"anthropic.claude-sonnet-4", {64000, false}},
    {"anthropic.claude-opus-4", {32000, false}},
    {"amazon.nova-micro", {10000, false}},
    {"amazon.nova-lite", {10000, false}},
    {"amazon.nova-pro", {10000, false}},
    {"amazon.nova-premier", {32000, false}},
    {"meta.llama", {2048, false}},
    {"amazon.nova-2-lite", {64000, false}},
}};

}  // namespace

std::optional<ModelLimits> model_limits(std::string_view model_id) {
  for (const Row& row : kRows)
    if (model_id.find(row.id_part) != std::string_view::npos) return row.limits;
  return std::nullopt;
}

std::optional<std::string> check_model_limits(std::string_view model_id, std::int64_t max_tokens,
                                              bool has_temperature, bool has_top_p) {
  const auto limits = model_limits(model_id);
  if (!limits) return std::nullopt;
  const bool claude = model_id.find("anthropic.") != std::string_view::npos;
  if (max_tokens > limits->max_output_tokens) {
    const std::string cap = std::to_string(limits->max_output_tokens);
    if (claude) {
      return "max_tokens: " + std::to_string(max_tokens) + " > " + cap +
             ", which is the maximum allowed number of output tokens for " + std::string(model_id);
    }
    return "The maximum tokens you requested exceeds the model limit of " + cap +
           ". Try again with a maximum tokens value that is lower than " + cap + ".";
  }
  if (limits->temperature_xor_top_p && has_temperature && has_top_p)
    return "`temperature` and `top_p` cannot both be specified for this model. Please use only one.";
  return std::nullopt;
}

}  // namespace batchgate::bedrock_emulator
