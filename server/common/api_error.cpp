#include "server/common/api_error.hpp"

#include <nlohmann/json.hpp>

namespace batchgate {

ApiError storage_unavailable(std::string detail) {
  ApiError e{ErrorKind::kUnavailable,
             "The gateway's storage is unavailable; try again shortly.",
             {},
             "storage_unavailable"};
  e.detail = std::move(detail);
  return e;
}

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return 400;
    case ErrorKind::kAuthentication:
      return 401;
    case ErrorKind::kPermission:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kMethodNotAllowed:
      return 405;
    case ErrorKind::kRequestTimeout:
      return 408;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kPayloadTooLarge:
      return 413;
    case ErrorKind::kHeaderTooLarge:
      return 431;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kInternal:
      return 500;
    case ErrorKind::kUnavailable:
      return 503;
  }
  return 500;
}

const char* openai_error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInternal:
    case ErrorKind::kUnavailable:
      return "server_error";
    case ErrorKind::kRateLimited:
      return "requests";
    case ErrorKind::kAuthentication:
    case ErrorKind::kPermission:
    case ErrorKind::kInvalidRequest:
    case ErrorKind::kNotFound:
    case ErrorKind::kMethodNotAllowed:
    case ErrorKind::kRequestTimeout:
    case ErrorKind::kConflict:
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kHeaderTooLarge:
      return "invalid_request_error";
  }
  return "server_error";
}

std::string error_body(const ApiError& error) {
  nlohmann::json e = {{"message", error.message},
                      {"type", openai_error_type(error.kind)},
                      {"param", error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param)},
                      {"code", error.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code)}};
  if (!error.extra_json.empty()) {
    auto extra = nlohmann::json::parse(error.extra_json, nullptr, false);
    if (extra.is_object())
      for (auto& [k, v] : extra.items())
        if (!e.contains(k)) e[k] = v;
  }
  // Messages quote what the client sent; the edge refuses invalid UTF-8, and whatever slips past is replaced
  // rather than turning the error into a 500.
  return nlohmann::json{{"error", std::move(e)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace batchgate
