#pragma once
// /v1/embeddings ⇄ Amazon Titan Text Embeddings on Bedrock (spec/bedrock-batch.md §10.5; OpenAI side
// spec/openai-batch.md §7). Titan embeds one string per record, so a list input becomes one record per
// string and the records are joined back, in order, into one embedding list.

#include <string_view>

#include "translators/translator.hpp"

namespace batchgate::translators {

class TitanEmbeddings final : public Translator {
 public:
  enum class Version { kV1, kV2 };
  explicit TitanEmbeddings(Version version) : version_(version) {}

  Endpoint endpoint() const override { return Endpoint::kEmbeddings; }
  std::string_view family() const override { return "titan_embeddings"; }
  RequestTranslation to_bedrock(JsonValue body, const RequestOptions& options) const override;
  ResponseTranslation to_openai(std::span<const JsonValue> outputs,
                                const ResponseContext& context) const override;

 private:
  Version version_;
};

// The float32 little-endian bytes of `values`, base64-encoded: OpenAI's encoding_format "base64".
std::string encode_embedding_base64(JsonValue values);

}  // namespace batchgate::translators
