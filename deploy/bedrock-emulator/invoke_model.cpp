#include "invoke_model.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "fake_models.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

// The service model bounds InvokeModelIdentifier to 1–2048 characters.
constexpr std::size_t kMaxModelIdLength = 2048;

struct StatusError {
  int status;
  const char* type;
  const char* message;
};

// Every InvokeModel error shape of the service model with its httpStatusCode, except those that share a
// status with one listed (ModelNotReadyException 429, ServiceQuotaExceededException 400) and those the
// emulator never has a reason to send (AccessDeniedException 403, ResourceNotFoundException 404).
constexpr std::array<StatusError, 6> kInvokeErrors{{
    {400, "ValidationException", "Malformed input request, please reformat your input and try again."},
    {408, "ModelTimeoutException", "Model has timed out in processing the request. Try your request again."},
    {424, "ModelErrorException",
     "The system encountered an unexpected error during processing. Try your request again."},
    {429, "ThrottlingException", "Too many requests, please wait before trying again."},
    {500, "InternalServerException", "The server encountered an internal error. Retry your request."},
    {503, "ServiceUnavailableException", "Bedrock is unable to process your request."},
}};

ApiError error_for(int status) {
  if (auto error = invoke_error_for_status(status)) return *error;
  return internal_error();
}

// "application/json; charset=utf-8" → "application/json".
std::string media_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The service model: "You must specify application/json" for contentType; accept defaults to it.
// botocore sends neither header unless asked to, so both may be absent.
std::optional<ApiError> check_media_types(const aws::Headers& headers) {
  if (const auto type = aws::find_header(headers, "content-type")) {
    if (media_type(*type) != "application/json") {
      return validation_error("The provided Content-Type '" + std::string(*type) +
                              "' is not supported; InvokeModel takes application/json.");
    }
  }
  if (const auto accept = aws::find_header(headers, "accept")) {
    const std::string type = media_type(*accept);
    if (type != "application/json" && type != "*/*" && type != "application/*") {
      return validation_error("The provided Accept type '" + std::string(*accept) +
                              "' is not supported; InvokeModel answers application/json.");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> check_model_id(const std::string& model_id) {
  if (model_id.empty()) {
    return validation_error(
        "1 validation error detected: Value '' at 'modelId' failed to satisfy constraint: Member must "
        "have length greater than or equal to 1");
  }
  if (model_id.size() > kMaxModelIdLength) {
    return validation_error("1 validation error detected: Value '" + model_id +
                            "' at 'modelId' failed to satisfy constraint: Member must have length less "
                            "than or equal to 2048");
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> invoke_error_for_status(int status) {
  for (const auto& entry : kInvokeErrors) {
    if (entry.status == status) return ApiError{entry.status, entry.type, entry.message};
  }
  return std::nullopt;
}

EmulatorResponse runtime_error_response(const ApiError& error, const json& extra) {
  json body = extra.is_object() ? extra : json::object();
  body["message"] = error.message;
  EmulatorResponse response;
  response.status = error.status;
  response.headers = {{"Content-Type", "application/json"}, {"x-amzn-ErrorType", error.type}};
  response.body = body.dump();
  return response;
}

InvokeModelService::InvokeModelService(const InvokeKnobs& knobs, Random random)
    : knobs_(knobs), random_(std::move(random)) {}

EmulatorResponse InvokeModelService::invoke(std::string_view model_label, const aws::Headers& headers,
                                            const std::string& body) {
  const std::string model_id = aws::uri_decode(model_label);
  if (auto error = check_model_id(model_id)) return runtime_error_response(*error);
  if (auto error = check_media_types(headers)) return runtime_error_response(*error);
  const std::string body_hash = aws::sha256_hex(body);
  if (auto fault = injected_fault(body_hash)) return runtime_error_response(*fault);
  if (!family_for_model(model_id)) {
    // What Bedrock answers for a model id it does not serve.
    return runtime_error_response(validation_error("The provided model identifier is invalid."));
  }
  ++invocations_;
  ++by_model_[model_id];
  ++by_body_[body_hash];
  EmulatorResponse response = run_model(model_id, body);
  response.delay = std::chrono::milliseconds(knobs_.latency_ms);
  return response;
}

std::optional<ApiError> InvokeModelService::injected_fault(const std::string& body_hash) {
  // Counted before any draw, so the (N+1)th call of a body passes whatever else is configured.
  const std::uint64_t call = ++calls_by_body_[body_hash];
  if (knobs_.throttle_first_n > 0 && call <= static_cast<std::uint64_t>(knobs_.throttle_first_n)) {
    return throttling_error();
  }
  if (knobs_.throttle_rate > 0.0 && random_() < knobs_.throttle_rate) return throttling_error();
  if (knobs_.server_error_rate > 0.0) {
    // One draw picks both whether and which: the lower half of the share is 500, the upper half 503.
    const double draw = random_();
    if (draw < knobs_.server_error_rate / 2) return error_for(500);
    if (draw < knobs_.server_error_rate) return error_for(503);
  }
  return std::nullopt;
}

EmulatorResponse InvokeModelService::run_model(const std::string& model_id, const std::string& body) const {
  // Chosen by the body, so a retry of the same body fails the same way (like recordFailureRate).
  if (knobs_.failure_rate > 0.0 && hashed_draw("invoke:" + body) < knobs_.failure_rate) {
    const ApiError error = error_for(knobs_.failure_code);
    // ModelErrorException carries the model's own status (service model member originalStatusCode).
    return runtime_error_response(error,
                                  error.status == 424 ? json{{"originalStatusCode", 500}} : json::object());
  }
  const json input = json::parse(body, nullptr, false);
  // A non-JSON body reaches the model as a non-object and gets the model's "expected type" message.
  const RecordResult result =
      run_record(*family_for_model(model_id), false, model_id, input.is_discarded() ? json() : input);
  if (!result.ok()) {
    ApiError error = error_for(result.error_code);
    error.message = result.error_message;  // the batch record's errorMessage for the same input
    return runtime_error_response(error);
  }
  EmulatorResponse response;
  response.headers = {{"Content-Type", "application/json"},
                      {"X-Amzn-Bedrock-Input-Token-Count", std::to_string(result.input_tokens)},
                      {"X-Amzn-Bedrock-Output-Token-Count", std::to_string(result.output_tokens)},
                      {"X-Amzn-Bedrock-Invocation-Latency", std::to_string(knobs_.latency_ms)}};
  response.body = result.output->dump();
  return response;
}

json InvokeModelService::invocations_by_model() const {
  json out = json::object();
  for (const auto& [model, count] : by_model_) out[model] = count;
  return out;
}

json InvokeModelService::invocations_by_body() const {
  json out = json::object();
  for (const auto& [hash, count] : by_body_) out[hash] = count;
  return out;
}

void InvokeModelService::reset() {
  invocations_ = 0;
  by_model_.clear();
  by_body_.clear();
  calls_by_body_.clear();
}

}  // namespace batchgate::bedrock_emulator
