#pragma once

// Which SigV4 signatures the emulator accepts; shared by the Bedrock routes and the S3 routes.

#include <chrono>
#include <map>
#include <string>

namespace batchgate::bedrock_emulator {

struct AuthSettings {
  bool verify = true;                          // false: accept any (or no) signature
  std::map<std::string, std::string> secrets;  // access key id → secret access key
  // Temporary credentials (from moto's STS) have secrets the emulator never sees: when set, a request with an
  // unknown key id that carries X-Amz-Security-Token is accepted without checking its signature.
  bool accept_session_credentials = false;
  std::string region = "us-east-1";
  std::chrono::seconds max_skew{900};  // spec aws-sigv4-s3.md §1.2 step 1
};

}  // namespace batchgate::bedrock_emulator
