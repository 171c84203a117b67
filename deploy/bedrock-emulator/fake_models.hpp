#pragma once

// Deterministic stand-ins for the model families Bedrock batch runs (spec/bedrock-batch.md §10): each
// checks a record's modelInput the way the real model does (a bad body is a per-record 400, §3) and
// answers with output derived from a hash of the input, with usage of about one token per 4 characters.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate::bedrock_emulator {

enum class ModelFamily { kAnthropicMessages, kNovaMessages, kLlamaPrompt, kTitanEmbeddingsV2 };

// Family of a model id, inference-profile id or ARN; nullopt for models the emulator does not run.
std::optional<ModelFamily> family_for_model(std::string_view model_id);

struct RecordResult {
  std::optional<nlohmann::json> output;  // modelOutput on success
  int error_code = 0;                    // errorCode on failure (HTTP-like)
  std::string error_message;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;

  bool ok() const { return output.has_value(); }
};

// Runs one record. `converse` selects the Converse request/response shapes (modelInvocationType).
RecordResult run_record(ModelFamily family, bool converse, std::string_view model_id,
                        const nlohmann::json& model_input);

// ≈ chars / 4, at least 1 for non-empty text.
std::int64_t estimate_tokens(std::size_t chars);
// FNV-1a 64, the seed of every deterministic output.
std::uint64_t fnv1a64(std::string_view data);
// A draw in [0, 1) fixed by `key`: injected failures chosen this way hit the same records and bodies on
// every run.
double hashed_draw(std::string_view key);
// `count` pseudo-words derived from `seed` (about one token each).
std::string generated_text(std::uint64_t seed, std::int64_t count);

// Shared by the message-shaped families (fake_messages.cpp).
RecordResult record_error(std::string message, int code = 400);
RecordResult run_nova(std::string_view model_id, const nlohmann::json& input);
RecordResult run_converse(std::string_view model_id, const nlohmann::json& input);

}  // namespace batchgate::bedrock_emulator
