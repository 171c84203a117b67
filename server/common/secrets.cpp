#include "server/common/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace batchgate {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[size_t(2 * i)] = kHex[digest[i] >> 4];
    out[size_t(2 * i + 1)] = kHex[digest[i] & 0xf];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Compare fixed-length digests so the length of the secret does not leak either.
  const std::string da = sha256_hex(a);
  const std::string db = sha256_hex(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::string mask_secret(std::string_view secret) {
  if (secret.size() < 12) return "***";
  return std::string(secret.substr(0, 3)) + "..." + std::string(secret.substr(secret.size() - 4));
}

}  // namespace batchgate
