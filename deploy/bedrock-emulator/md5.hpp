#pragma once

// Incremental MD5 (OpenSSL EVP) for S3 ETags (spec/aws-sigv4-s3.md §3.3): request bodies are fed to it
// chunk by chunk as they arrive, while the bytes are still in cache.

#include <memory>
#include <string>
#include <string_view>

namespace batchgate::bedrock_emulator {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void update(std::string_view bytes);
  // The 16 raw digest bytes; the object is spent afterwards.
  std::string finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// The raw MD5 of `bytes` in one call.
std::string md5_digest(std::string_view bytes);

}  // namespace batchgate::bedrock_emulator
