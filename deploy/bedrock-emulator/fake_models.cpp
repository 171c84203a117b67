#include "fake_models.hpp"

#include <array>
#include <cmath>
#include <set>

#include "model_limits.hpp"

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

std::string malformed(std::string_view detail) {
  return "Malformed input request: " + std::string(detail) + ", please reformat your input and try again.";
}

// Real models reject unknown top-level keys ("Extra inputs are not permitted", spec §8.1, §10.2).
std::optional<std::string> extraneous_key(const json& input,
                                          const std::set<std::string, std::less<>>& allowed) {
  for (const auto& [key, value] : input.items()) {
    if (!allowed.contains(key)) return malformed("#: extraneous key [" + key + "] is not permitted");
  }
  return std::nullopt;
}

std::optional<std::string> check_unit_interval(const json& input, const char* key) {
  const auto it = input.find(key);
  if (it == input.end()) return std::nullopt;
  if (!it->is_number())
    return malformed(std::string("#/") + key + ": expected type: Number, found: " + it->type_name());
  const double v = it->get<double>();
  if (v < 0.0 || v > 1.0)
    return malformed(std::string("#/") + key + ": " + it->dump() + " is not within range [0, 1]");
  return std::nullopt;
}

std::size_t anthropic_content_chars(const json& content, std::string& error) {
  if (content.is_string()) return content.get_ref<const std::string&>().size();
  if (!content.is_array() || content.empty()) {
    error = "messages: content must be a non-empty string or list of content blocks";
    return 0;
  }
  std::size_t chars = 0;
  for (const auto& block : content) {
    const auto type = block.is_object() ? block.value("type", "") : "";
    if (type == "text") {
      if (!block.contains("text") || !block["text"].is_string()) {
        error = "messages: text content blocks must contain a string 'text' field";
        return 0;
      }
      chars += block["text"].get_ref<const std::string&>().size();
    } else if (type == "image" || type == "document") {
      chars += 6000;  // an image costs on the order of a thousand tokens
    } else if (type == "tool_use" || type == "tool_result") {
      chars += block.dump().size();
    } else {
      error = "messages: content block type must be one of text, image, document, tool_use, tool_result";
      return 0;
    }
  }
  return chars;
}

// Anthropic Messages on Bedrock (spec §10.2).
RecordResult run_anthropic(std::string_view model_id, const json& input) {
  static const std::set<std::string, std::less<>> kAllowed{
      "anthropic_version", "max_tokens", "messages",    "system",         "temperature", "top_p",   "top_k",
      "stop_sequences",    "tools",      "tool_choice", "anthropic_beta", "thinking",    "metadata"};
  if (auto e = extraneous_key(input, kAllowed)) return record_error(*e);
  for (const char* key : {"anthropic_version", "max_tokens", "messages"}) {
    if (!input.contains(key))
      return record_error(malformed(std::string("#: required key [") + key + "] not found"));
  }
  if (input["anthropic_version"] != "bedrock-2023-05-31") {
    return record_error(malformed("#/anthropic_version: only bedrock-2023-05-31 is supported"));
  }
  const json& max_tokens = input["max_tokens"];
  if (!max_tokens.is_number_integer() || max_tokens.get<std::int64_t>() < 1) {
    return record_error(malformed("#/max_tokens: must be an integer greater or equal to 1"));
  }
  for (const char* key : {"temperature", "top_p"}) {
    if (auto e = check_unit_interval(input, key)) return record_error(*e);
  }
  if (auto e = check_model_limits(model_id, max_tokens.get<std::int64_t>(), input.contains("temperature"),
                                  input.contains("top_p")))
    return record_error(*e);
  const json& messages = input["messages"];
  if (!messages.is_array() || messages.empty())
    return record_error("messages: at least one message is required");
  std::size_t chars = 0;
  std::string previous;
  for (const auto& message : messages) {
    if (!message.is_object() || !message.contains("role") || !message.contains("content")) {
      return record_error("messages: each message must have a role and content");
    }
    const std::string role = message["role"].is_string() ? message["role"].get<std::string>() : "";
    if (role != "user" && role != "assistant") {
      return record_error("messages: role must be \"user\" or \"assistant\", got \"" + role + "\"");
    }
    if (previous.empty() && role != "user")
      return record_error("messages: first message must use the \"user\" role");
    if (role == previous) {
      return record_error(
          "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"" + role +
          "\" roles in a row");
    }
    previous = role;
    std::string error;
    chars += anthropic_content_chars(message["content"], error);
    if (!error.empty()) return record_error(error);
  }
  if (const auto it = input.find("system"); it != input.end()) {
    if (it->is_string())
      chars += it->get_ref<const std::string&>().size();
    else if (it->is_array())
      chars += it->dump().size();
    else
      return record_error("system: must be a string or a list of text blocks");
  }
  const std::string canonical = input.dump();
  const std::uint64_t seed = fnv1a64(canonical);
  const std::int64_t wanted = 8 + static_cast<std::int64_t>(seed % 56);
  const std::int64_t limit = max_tokens.get<std::int64_t>();
  const std::int64_t produced = std::min(wanted, limit);
  RecordResult result;
  result.input_tokens = estimate_tokens(chars);
  result.output_tokens = produced;
  std::string model(model_id);
  if (const auto dot = model.find("anthropic."); dot != std::string::npos) model = model.substr(dot + 10);
  if (const auto colon = model.rfind("-v"); colon != std::string::npos) model = model.substr(0, colon);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "msg_bdrk_01";
  for (int i = 0; i < 22; ++i) id += kHex[(seed >> ((i * 3) % 60)) & 0xF];
  result.output =
      json{{"id", id},
           {"type", "message"},
           {"role", "assistant"},
           {"model", model},
           {"content", json::array({{{"type", "text"}, {"text", generated_text(seed, produced)}}})},
           {"stop_reason", produced < wanted ? "max_tokens" : "end_turn"},
           {"stop_sequence", nullptr},
           {"usage",
            {{"input_tokens", result.input_tokens},
             {"output_tokens", result.output_tokens},
             {"cache_creation_input_tokens", 0},
             {"cache_read_input_tokens", 0}}}};
  return result;
}

// Meta Llama text completion (spec §10.4).
RecordResult run_llama(const json& input) {
  static const std::set<std::string, std::less<>> kAllowed{"prompt", "temperature", "top_p", "max_gen_len",
                                                           "images"};
  if (auto e = extraneous_key(input, kAllowed)) return record_error(*e);
  const auto prompt = input.find("prompt");
  if (prompt == input.end()) return record_error(malformed("#: required key [prompt] not found"));
  if (!prompt->is_string() || prompt->get_ref<const std::string&>().empty()) {
    return record_error(malformed("#/prompt: expected a non-empty string"));
  }
  for (const char* key : {"temperature", "top_p"}) {
    if (auto e = check_unit_interval(input, key)) return record_error(*e);
  }
  std::int64_t limit = 512;
  if (const auto it = input.find("max_gen_len"); it != input.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 2048) {
      return record_error(malformed("#/max_gen_len: must be an integer between 1 and 2048"));
    }
    limit = it->get<std::int64_t>();
  }
  const std::uint64_t seed = fnv1a64(input.dump());
  const std::int64_t wanted = 8 + static_cast<std::int64_t>(seed % 56);
  const std::int64_t produced = std::min(wanted, limit);
  RecordResult result;
  result.input_tokens = estimate_tokens(prompt->get_ref<const std::string&>().size());
  result.output_tokens = produced;
  result.output = json{{"generation", generated_text(seed, produced)},
                       {"prompt_token_count", result.input_tokens},
                       {"generation_token_count", produced},
                       {"stop_reason", produced < wanted ? "length" : "stop"}};
  return result;
}

// Titan Text Embeddings V2 (spec §10.5): one string per record.
RecordResult run_titan_v2(const json& input) {
  static const std::set<std::string, std::less<>> kAllowed{"inputText", "dimensions", "normalize",
                                                           "embeddingTypes"};
  if (auto e = extraneous_key(input, kAllowed)) return record_error(*e);
  const auto text = input.find("inputText");
  if (text == input.end()) return record_error(malformed("#: required key [inputText] not found"));
  if (!text->is_string() || text->get_ref<const std::string&>().empty()) {
    return record_error(malformed("#/inputText: expected minLength: 1"));
  }
  int dimensions = 1024;
  if (const auto it = input.find("dimensions"); it != input.end()) {
    if (!it->is_number_integer() || (*it != 256 && *it != 512 && *it != 1024)) {
      return record_error(malformed("#/dimensions: " + it->dump() + " is not a valid enum value"));
    }
    dimensions = it->get<int>();
  }
  bool normalize = true;
  if (const auto it = input.find("normalize"); it != input.end()) {
    if (!it->is_boolean()) return record_error(malformed("#/normalize: expected type: Boolean"));
    normalize = it->get<bool>();
  }
  bool want_float = true;
  bool want_binary = false;
  if (const auto it = input.find("embeddingTypes"); it != input.end()) {
    if (!it->is_array() || it->empty())
      return record_error(malformed("#/embeddingTypes: expected minItems: 1"));
    want_float = false;
    for (const auto& type : *it) {
      if (type == "float")
        want_float = true;
      else if (type == "binary")
        want_binary = true;
      else
        return record_error(malformed("#/embeddingTypes: " + type.dump() + " is not a valid enum value"));
    }
  }
  std::uint64_t state = fnv1a64(text->get_ref<const std::string&>());
  std::vector<double> values(static_cast<std::size_t>(dimensions));
  double norm = 0.0;
  for (auto& v : values) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG: deterministic per input text
    v = static_cast<double>(static_cast<std::int64_t>(state >> 11) % 20001 - 10000) / 10000.0;
    norm += v * v;
  }
  norm = std::sqrt(norm);
  for (auto& v : values) v = std::round((normalize && norm > 0 ? v / norm : v) * 1e6) / 1e6;
  RecordResult result;
  result.input_tokens = estimate_tokens(text->get_ref<const std::string&>().size());
  json by_type = json::object();
  if (want_float) by_type["float"] = values;
  if (want_binary) {
    json bits = json::array();
    for (double v : values) bits.push_back(v > 0 ? 1 : 0);
    by_type["binary"] = bits;
  }
  result.output = json{{"inputTextTokenCount", result.input_tokens}, {"embeddingsByType", by_type}};
  if (want_float) (*result.output)["embedding"] = values;
  return result;
}

std::string_view strip_model_prefixes(std::string_view id) {
  if (const auto slash = id.rfind('/'); slash != std::string_view::npos) id.remove_prefix(slash + 1);
  for (std::string_view geo : {"us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."}) {
    if (id.starts_with(geo)) {
      id.remove_prefix(geo.size());
      break;
    }
  }
  return id;
}

}  // namespace

std::uint64_t fnv1a64(std::string_view data) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

double hashed_draw(std::string_view key) {
  // FNV's high bits barely change between "rec1" and "rec2": mix them (splitmix64 finaliser).
  std::uint64_t h = fnv1a64(key);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
}

std::int64_t estimate_tokens(std::size_t chars) {
  return chars == 0 ? 0 : static_cast<std::int64_t>((chars + 3) / 4);
}

std::string generated_text(std::uint64_t seed, std::int64_t count) {
  static constexpr std::array<std::string_view, 16> kWords{
      "batch", "model", "reply", "token", "emulated", "answer", "data",  "record",
      "stone", "river", "light", "quick", "plain",    "green",  "north", "value"};
  std::string text;
  std::uint64_t state = seed;
  for (std::int64_t i = 0; i < count; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    if (i > 0) text += ' ';
    text += kWords[(state >> 33) % kWords.size()];
  }
  return text;
}

RecordResult record_error(std::string message, int code) {
  RecordResult result;
  result.error_code = code;
  result.error_message = std::move(message);
  return result;
}

std::optional<ModelFamily> family_for_model(std::string_view model_id) {
  const std::string_view id = strip_model_prefixes(model_id);
  if (id.starts_with("anthropic.claude")) return ModelFamily::kAnthropicMessages;
  if (id.starts_with("amazon.nova")) return ModelFamily::kNovaMessages;
  if (id.starts_with("meta.llama")) return ModelFamily::kLlamaPrompt;
  if (id.starts_with("amazon.titan-embed-text-v2")) return ModelFamily::kTitanEmbeddingsV2;
  return std::nullopt;
}

RecordResult run_record(ModelFamily family, bool converse, std::string_view model_id,
                        const json& model_input) {
  if (!model_input.is_object()) return record_error(malformed("#: expected type: JSONObject"));
  if (converse) return run_converse(model_id, model_input);
  switch (family) {
    case ModelFamily::kAnthropicMessages:
      return run_anthropic(model_id, model_input);
    case ModelFamily::kNovaMessages:
      return run_nova(model_id, model_input);
    case ModelFamily::kLlamaPrompt:
      return run_llama(model_input);
    case ModelFamily::kTitanEmbeddingsV2:
      return run_titan_v2(model_input);
  }
  return record_error("unsupported model");
}

}  // namespace batchgate::bedrock_emulator
