// find_translator: the Bedrock model id decides the family (STYLE.md rule 3).
#include <array>

#include "translators/anthropic_messages.hpp"
#include "translators/llama_prompt.hpp"
#include "translators/nova_messages.hpp"
#include "translators/titan_embeddings.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators {
namespace {

// Nova models that are not chat models (image, video, speech, embeddings).
constexpr std::array<std::string_view, 4> kNonChatNova = {
    "amazon.nova-canvas", "amazon.nova-reel", "amazon.nova-sonic", "amazon.nova-2-multimodal-embeddings"};

// "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-…" → "us.anthropic.claude-…".
// Application inference profiles and custom models have opaque ids and stay unrecognised.
std::string_view strip_arn(std::string_view id) {
  if (!id.starts_with("arn:")) return id;
  std::size_t slash = id.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : id.substr(slash + 1);
}

// "us.", "eu.", "apac.", "global.", "us-gov." …: the geography prefix of a cross-region inference profile.
std::string_view strip_geography(std::string_view id) {
  std::size_t dot = id.find('.');
  constexpr std::size_t kLongestGeography = 8;
  if (dot == std::string_view::npos || dot == 0 || dot > kLongestGeography) return id;
  for (char c : id.substr(0, dot)) {
    if ((c < 'a' || c > 'z') && c != '-') return id;
  }
  return id.substr(dot + 1);
}

const Translator* by_base_id(std::string_view id) {
  static const AnthropicMessages kClaude;
  static const NovaMessages kNova;
  static const LlamaPrompt kLlama3(LlamaPrompt::Template::kLlama3);
  static const LlamaPrompt kLlama4(LlamaPrompt::Template::kLlama4);
  static const TitanEmbeddings kTitanV1(TitanEmbeddings::Version::kV1);
  static const TitanEmbeddings kTitanV2(TitanEmbeddings::Version::kV2);
  if (id.starts_with("anthropic.")) return &kClaude;
  if (id.starts_with("amazon.nova")) {
    for (std::string_view other : kNonChatNova) {
      if (id.starts_with(other)) return nullptr;
    }
    return &kNova;
  }
  // Llama 2's [INST] template is not supported (Llama 2 is retired on Bedrock).
  if (id.starts_with("meta.llama3")) return &kLlama3;
  if (id.starts_with("meta.llama4")) return &kLlama4;
  if (id.starts_with("amazon.titan-embed-text-v2")) return &kTitanV2;
  if (id.starts_with("amazon.titan-embed-text-v1")) return &kTitanV1;
  return nullptr;
}

}  // namespace

const Translator* find_translator(std::string_view bedrock_model_id, Endpoint endpoint) {
  std::string_view id = strip_arn(bedrock_model_id);
  const Translator* translator = by_base_id(id);
  if (translator == nullptr) translator = by_base_id(strip_geography(id));
  if (translator == nullptr || translator->endpoint() != endpoint) return nullptr;
  return translator;
}

}  // namespace batchgate::translators
