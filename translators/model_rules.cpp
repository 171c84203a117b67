#include "translators/model_rules.hpp"

#include <array>

namespace batchgate::translators {
namespace {

struct Row {
  std::string_view id_part;  // matched anywhere in the model id (inference profiles, ARNs)
  int max_output_tokens;
  bool temperature_xor_top_p;
};

// More specific ids first: the first row whose id_part the model id contains wins. Output caps as Anthropic,
// Amazon and Meta document them for each model on Bedrock; Claude Opus 4.1 and the 4.5 models accept
// temperature or top_p, not both (Anthropic's migration notes).
constexpr std::array<Row, 18> kRows = {{
    {"anthropic.claude-3-haiku", 4096, false},
    {"anthropic.claude-3-sonnet", 4096, false},
    {"anthropic.claude-3-opus", 4096, false},
    {"anthropic.claude-3-5-haiku", 8192, false},
    {"anthropic.claude-3-5-sonnet", 8192, false},
    {"anthropic.claude-3-7-sonnet", 64000, false},
    {"anthropic.claude-sonnet-4-5", 64000, true},
    {"anthropic.claude-haiku-4-5", 64000, true},
    {"anthropic.claude-opus-4-5", 64000, true},
    {"anthropic.claude-opus-4-1", 32000, true},
    {"anthropic.claude-sonnet-4", 64000, false},
    {"anthropic.claude-opus-4", 32000, false},
    {"amazon.nova-micro", 10000, false},
    {"amazon.nova-lite", 10000, false},
    {"amazon.nova-pro", 10000, false},
    {"amazon.nova-premier", 32000, false},
    {"meta.llama", 2048, false},
    {"amazon.nova-2-lite", 64000, false},
}};

}  // namespace

ModelRules default_model_rules(std::string_view bedrock_model_id) {
  for (const Row& row : kRows) {
    if (bedrock_model_id.find(row.id_part) == std::string_view::npos) continue;
    ModelRules rules;
    rules.max_output_tokens = row.max_output_tokens;
    if (row.temperature_xor_top_p) rules.exclusive_params = {"temperature", "top_p"};
    return rules;
  }
  return {};
}

bool is_exclusive_param_name(std::string_view name) {
  return name == "temperature" || name == "top_p";
}

}  // namespace batchgate::translators
