#pragma once

// SigV4 verification of a request to the in-memory S3 (README.md "S3", spec/aws-sigv4-s3.md §1): an accepted
// key, scope {region}/s3, X-Amz-Date within the allowed skew, and the signature recomputed with S3's
// canonical-URI rule over the declared x-amz-content-sha256 (the body itself is not hashed).

#include <optional>
#include <string_view>

#include "auth_settings.hpp"
#include "s3_store.hpp"
#include "server/aws/http_types.hpp"
#include "timestamps.hpp"

namespace batchgate::bedrock_emulator {

// nullopt when the request may proceed (always with auth.verify off); else S3's error for it.
std::optional<S3Failure> verify_s3_signature(const AuthSettings& auth, TimePoint now, std::string_view method,
                                             std::string_view target, const aws::Headers& headers);

}  // namespace batchgate::bedrock_emulator
