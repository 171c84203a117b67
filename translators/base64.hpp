#pragma once
// Standard base64 (RFC 4648 §4, with padding), used for OpenAI's encoding_format "base64" embeddings.

#include <span>
#include <string>

namespace batchgate::translators {

std::string base64_encode(std::span<const unsigned char> bytes);

}  // namespace batchgate::translators
