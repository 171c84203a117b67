#pragma once
// Per-model request rules (issue "Real Bedrock, not only our emulator"): real models cap max_tokens per
// model, newer Claude models reject temperature and top_p together, and a deployment may require fields. The
// rules are data: defaults per Bedrock model id below, each overridable in config (max_output_tokens,
// exclusive_params, required_params). Applied when a line is translated at upload: a per-line error, or —
// with drop_params — the value clamped or dropped, as LiteLLM's drop_params does. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace batchgate::translators {

struct ModelRules {
  // The most output tokens the model produces; a request's max_tokens above it is refused (clamped with
  // drop_params). The configured default max_tokens is clamped to it silently.
  std::optional<int> max_output_tokens;
  // OpenAI sampling parameters of which a request may set at most one ("temperature", "top_p"); with
  // drop_params the first one set, in this order, is kept.
  std::vector<std::string> exclusive_params;
  // OpenAI body keys every line must set ("max_tokens" is also satisfied by max_completion_tokens).
  std::vector<std::string> required_params;

  bool operator==(const ModelRules&) const = default;
};

// Defaults for the model families batchgate supports, from the providers' published limits (not a contract:
// every value can be overridden in config). A model id not in the table has no rules.
ModelRules default_model_rules(std::string_view bedrock_model_id);

// The sampling parameters exclusive_params may name.
bool is_exclusive_param_name(std::string_view name);

}  // namespace batchgate::translators
