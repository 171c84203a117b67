#pragma once

// The bedrock-runtime InvokeModel operation, `POST /model/{modelId}/invoke` (botocore
// data/bedrock-runtime/2023-09-30/service-2.json). A batch record's modelInput is exactly an InvokeModel
// body (spec/bedrock-batch.md §8.1), so the body runs through the same fake models as batch records and
// the response body is what the record's modelOutput holds for the same input. Also keeps the invocation
// counters and applies the invoke* fault knobs. Pure: no Asio, no clock.

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api_error.hpp"
#include "emulator_http.hpp"

namespace batchgate::bedrock_emulator {

struct InvokeKnobs {
  int latency_ms = 0;                 // wait before answering an invocation that reached a model
  double throttle_rate = 0.0;         // share of calls answered 429 ThrottlingException
  double server_error_rate = 0.0;     // share answered 500 InternalServerException / 503 ServiceUnavailable
  double failure_rate = 0.0;          // share of bodies answered with an injected error (by body hash)
  int failure_code = 424;             // its status; invoke_error_for_status names the exception
  std::int64_t throttle_first_n = 0;  // the first N calls of every distinct body → 429 ThrottlingException
};

// The InvokeModel exception AWS answers with `status` (its modelled error shapes); nullopt for a status
// no InvokeModel error has, so invokeFailureCode accepts only these.
std::optional<ApiError> invoke_error_for_status(int status);

// bedrock-runtime's error shape: `{"message": ...}` (plus any modelled members in `extra`) and the
// code in `x-amzn-ErrorType`, which is where botocore and the JS SDK read it.
EmulatorResponse runtime_error_response(const ApiError& error,
                                        const nlohmann::json& extra = nlohmann::json::object());

class InvokeModelService {
 public:
  using Random = std::function<double()>;  // uniform in [0, 1)

  // `knobs` is read on every call, so POST /_emulator/config takes effect at once.
  InvokeModelService(const InvokeKnobs& knobs, Random random);

  // `model_label` is the {modelId} path label as it arrived, still percent-encoded.
  EmulatorResponse invoke(std::string_view model_label, const aws::Headers& headers, const std::string& body);

  // Calls that reached a model (after the throttling and server-error knobs, with a known model),
  // failed ones included.
  std::uint64_t invocations() const { return invocations_; }
  nlohmann::json invocations_by_model() const;
  // {"<sha256 hex of the body>": n} over the same calls.
  nlohmann::json invocations_by_body() const;
  // Zeroes every counter, the per-body call counts of throttle_first_n included.
  void reset();

 private:
  std::optional<ApiError> injected_fault(const std::string& body_hash);
  EmulatorResponse run_model(const std::string& model_id, const std::string& body) const;

  const InvokeKnobs& knobs_;
  Random random_;
  std::uint64_t invocations_ = 0;
  std::map<std::string, std::uint64_t> by_model_;
  std::map<std::string, std::uint64_t> by_body_;
  std::map<std::string, std::uint64_t> calls_by_body_;  // every authenticated call, throttled ones too
};

}  // namespace batchgate::bedrock_emulator
