#include "md5.hpp"

#include <openssl/evp.h>

#include <cassert>

namespace batchgate::bedrock_emulator {

struct Md5::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(ctx); }
};

Md5::Md5() : context_(std::make_unique<Context>()) {
  [[maybe_unused]] const int ok = EVP_DigestInit_ex(context_->ctx, EVP_md5(), nullptr);
  assert(ok == 1);
}

Md5::~Md5() = default;

void Md5::update(std::string_view bytes) {
  EVP_DigestUpdate(context_->ctx, bytes.data(), bytes.size());
}

std::string Md5::finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(context_->ctx, digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string md5_digest(std::string_view bytes) {
  Md5 md5;
  md5.update(bytes);
  return md5.finish();
}

}  // namespace batchgate::bedrock_emulator
