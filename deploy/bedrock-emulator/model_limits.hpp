#pragma once

// Per-model request limits real Bedrock models enforce on a record's modelInput (the emulator's own table,
// kept in step with batchgate's defaults in translators/model_rules.cpp so that a line batchgate accepts runs
// here): the most output tokens a model produces, and the newer Claude models' refusal of temperature and
// top_p together. Messages are worded as the models answer them. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate::bedrock_emulator {

struct ModelLimits {
  std::int64_t max_output_tokens = 0;
  bool temperature_xor_top_p = false;
};

// nullopt for a model id the table does not know (no limits).
std::optional<ModelLimits> model_limits(std::string_view model_id);

// The record error's message when the request breaks the model's limits; nullopt when it passes.
std::optional<std::string> check_model_limits(std::string_view model_id, std::int64_t max_tokens,
                                              bool has_temperature, bool has_top_p);

}  // namespace batchgate::bedrock_emulator
