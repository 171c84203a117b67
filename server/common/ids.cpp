#include "server/common/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace batchgate {

std::string RandomIdGenerator::base62(std::size_t length) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(length);
  std::array<unsigned char, 64> buf{};
  while (out.size() < length) {
    if (RAND_bytes(buf.data(), int(buf.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char b : buf) {
      // Reject 248..255 so every character is equally likely (248 = 4 * 62).
      if (b >= 248) continue;
      out.push_back(kAlphabet[b % 62]);
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace batchgate
