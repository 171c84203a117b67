#pragma once
// The one place that maps every error to an HTTP status and OpenAI's error envelope
// {"error":{"message","type","param","code"}} (spec/openai-batch.md §1.1).

#include <string>

namespace batchgate {

enum class ErrorKind {
  kInvalidRequest,    // 400: a deterministic client mistake (never a 5xx: the SDK retries those)
  kAuthentication,    // 401: missing, unknown, blocked or expired key
  kPermission,        // 403: the key may not do this
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kRequestTimeout,    // 408
  kConflict,          // 409
  kPayloadTooLarge,   // 413
  kHeaderTooLarge,    // 431
  kRateLimited,       // 429
  kInternal,          // 500
  kUnavailable,       // 503
};

struct ApiError {
  ApiError() = default;
  ApiError(ErrorKind k, std::string m, std::string p = {}, std::string c = {})
      : kind(k), message(std::move(m)), param(std::move(p)), code(std::move(c)) {}

  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
  std::string param;       // empty → null
  std::string code;        // empty → null
  std::string extra_json;  // optional JSON object whose members are added to "error" (e.g. per-line errors)
  std::string detail;      // for the operator's log (with the request id), never sent to the client

  static ApiError invalid(std::string message, std::string param = {}, std::string code = "invalid_value") {
    return {ErrorKind::kInvalidRequest, std::move(message), std::move(param), std::move(code)};
  }
  static ApiError not_found(std::string message, std::string param = {}) {
    return {ErrorKind::kNotFound, std::move(message), std::move(param), {}};
  }
  static ApiError internal(std::string message) { return {ErrorKind::kInternal, std::move(message), {}, {}}; }
};

// A store or object-store failure: a 503 the client may retry (the OpenAI SDK does); `detail` says what
// failed, for the log.
ApiError storage_unavailable(std::string detail);

int http_status(ErrorKind kind);
const char* openai_error_type(ErrorKind kind);
// {"error":{"message":…,"type":…,"param":…|null,"code":…|null}}
std::string error_body(const ApiError& error);

}  // namespace batchgate
