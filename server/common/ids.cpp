#include "server/common/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace batchgate {

namespace {

// Random bytes drawn 4 KiB at a time per thread: the collector makes three ids per record, and one
// RAND_bytes call per id dominated its profile. Bytes are used once and never shared between threads.
class RandomPool {
 public:
  unsigned char next() {
    if (pos_ == buf_.size()) {
      if (RAND_bytes(buf_.data(), int(buf_.size())) != 1) throw std::runtime_error("RAND_bytes failed");
      pos_ = 0;
    }
    return buf_[pos_++];
  }

 private:
  std::array<unsigned char, 4096> buf_{};
  std::size_t pos_ = buf_.size();
};

}  // namespace

std::string RandomIdGenerator::base62(std::size_t length) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local RandomPool pool;
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    const unsigned char b = pool.next();
    // Reject 248..255 so every character is equally likely (248 = 4 * 62).
    if (b >= 248) continue;
    out.push_back(kAlphabet[b % 62]);
  }
  return out;
}

}  // namespace batchgate
