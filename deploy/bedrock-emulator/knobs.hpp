#pragma once

// Runtime knobs of the emulator (command-line flags and POST /_emulator/config): phase durations,
// processing speed, fault injection, record limits and InvokeModel's latency and faults. README.md lists
// every name and default.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "batch_io.hpp"
#include "invoke_model.hpp"
#include "job_store.hpp"

namespace batchgate::bedrock_emulator {

struct Knobs {
  double submitted_seconds = 0.5;   // Submitted → Validating
  double validating_seconds = 0.5;  // Validating → Scheduled (or Failed)
  double scheduled_seconds = 0.5;   // Scheduled → InProgress
  double stopping_seconds = 0.5;    // Stopping → Stopped
  double records_per_second = 1000.0;
  double throttle_rate = 0.0;         // share of batch API calls answered 429 ThrottlingException
  double server_error_rate = 0.0;     // share of batch API calls answered 500 InternalServerException
  bool force_quota_exceeded = false;  // every new CreateModelInvocationJob → ServiceQuotaExceededException
  int quota_exceeded_first_n = 0;     // the next N new CreateModelInvocationJob → the same (counts down)
  // StopModelInvocationJob answers ConflictException while the stop still takes effect (as when another
  // change of the job's state won the race); spec §6 lists ConflictException without saying when.
  bool stop_conflict = false;
  ProcessingKnobs processing;
  RecordLimits limits;
  InvokeKnobs invoke;  // InvokeModel's own latency and faults; the two rates above leave it alone
};

// {"submittedSeconds":…, …} including the store's maxConcurrentJobs and secondsPerTimeoutHour.
nlohmann::json knobs_to_json(const Knobs& knobs, const StoreSettings& store);

// Applies the members present in `update` (same names as knobs_to_json). Returns an error message for an
// unknown name or a value of the wrong type/range, leaving everything unchanged.
std::optional<std::string> apply_knobs(const nlohmann::json& update, Knobs& knobs, JobStore& store);

}  // namespace batchgate::bedrock_emulator
