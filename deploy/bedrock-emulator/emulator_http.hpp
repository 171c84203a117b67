#pragma once

// One HTTP exchange of the emulator without any transport: the Beast server fills EmulatorRequest and
// writes EmulatorResponse back, so everything in between is unit-tested without sockets.

#include <chrono>
#include <string>

#include "server/aws/http_types.hpp"

namespace batchgate::bedrock_emulator {

struct EmulatorRequest {
  std::string method;
  std::string target;  // wire path and query, still percent-encoded
  aws::Headers headers;
  std::string body;
};

struct EmulatorResponse {
  int status = 200;
  aws::Headers headers;
  std::string body;
  // How long the server waits before sending the response (invokeLatencyMs); it keeps serving other
  // connections meanwhile.
  std::chrono::milliseconds delay{0};
};

}  // namespace batchgate::bedrock_emulator
