#include "translators/translator.hpp"

namespace batchgate::translators {

std::optional<Endpoint> parse_endpoint(std::string_view url) {
  if (url == "/v1/chat/completions") return Endpoint::kChatCompletions;
  if (url == "/v1/embeddings") return Endpoint::kEmbeddings;
  return std::nullopt;
}

std::string_view endpoint_url(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kChatCompletions:
      return "/v1/chat/completions";
    case Endpoint::kEmbeddings:
      return "/v1/embeddings";
  }
  return "";
}

namespace {
constexpr std::int64_t kBase64Embeddings = 1;
}  // namespace

std::int64_t hints_to_bits(const ResponseHints& hints) {
  return hints.base64_embeddings ? kBase64Embeddings : 0;
}

ResponseHints hints_from_bits(std::int64_t bits) {
  ResponseHints hints;
  hints.base64_embeddings = (bits & kBase64Embeddings) != 0;
  return hints;
}

}  // namespace batchgate::translators
