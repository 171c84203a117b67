#pragma once
// Opaque ids and secrets. Injected so tests control them (STYLE.md rule 6).

#include <cstddef>
#include <string>

namespace batchgate {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // `length` characters of [0-9A-Za-z].
  virtual std::string base62(std::size_t length) = 0;

  std::string file_id() { return "file-" + base62(24); }
  std::string batch_id() { return "batch_" + base62(24); }
  std::string request_id() { return "req_" + base62(24); }
  // 32 base62 characters ≈ 190 random bits.
  std::string virtual_key() { return "sk-" + base62(32); }
};

// Cryptographically random (OpenSSL RAND_bytes), unbiased.
class RandomIdGenerator final : public IdGenerator {
 public:
  std::string base62(std::size_t length) override;
};

}  // namespace batchgate
