#pragma once

// The restJson1 error of an operation (spec/bedrock-batch.md §7): a code sent both as the
// `x-amzn-ErrorType` header and as the body's `__type`, an HTTP status and a message.

#include <string>
#include <utility>

namespace batchgate::bedrock_emulator {

struct ApiError {
  int status = 400;
  std::string type;
  std::string message;
};

inline ApiError validation_error(std::string message) {
  return {400, "ValidationException", std::move(message)};
}
inline ApiError not_found_error(std::string message) {
  return {404, "ResourceNotFoundException", std::move(message)};
}
inline ApiError quota_error(std::string message) {
  return {400, "ServiceQuotaExceededException", std::move(message)};
}
inline ApiError conflict_error(std::string message) {
  return {400, "ConflictException", std::move(message)};
}
inline ApiError throttling_error() {
  return {429, "ThrottlingException", "Too many requests, please wait before trying again."};
}
inline ApiError internal_error() {
  return {500, "InternalServerException", "The server encountered an internal error. Retry your request."};
}

}  // namespace batchgate::bedrock_emulator
