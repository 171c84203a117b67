#include "knobs.hpp"

namespace batchgate::bedrock_emulator {

using nlohmann::json;

json knobs_to_json(const Knobs& k, const StoreSettings& s) {
  return json{{"submittedSeconds", k.submitted_seconds},
              {"validatingSeconds", k.validating_seconds},
              {"scheduledSeconds", k.scheduled_seconds},
              {"stoppingSeconds", k.stopping_seconds},
              {"recordsPerSecond", k.records_per_second},
              {"throttleRate", k.throttle_rate},
              {"serverErrorRate", k.server_error_rate},
              {"forceQuotaExceeded", k.force_quota_exceeded},
              {"quotaExceededFirstN", k.quota_exceeded_first_n},
              {"recordFailureRate", k.processing.record_failure_rate},
              {"recordFailureCode", k.processing.record_failure_code},
              {"unprocessedFraction", k.processing.unprocessed_fraction},
              {"minRecords", k.limits.min_records},
              {"maxRecords", k.limits.max_records},
              {"maxConcurrentJobs", s.max_concurrent_jobs},
              {"secondsPerTimeoutHour", s.seconds_per_timeout_hour},
              {"invokeLatencyMs", k.invoke.latency_ms},
              {"invokeThrottleRate", k.invoke.throttle_rate},
              {"invokeServerErrorRate", k.invoke.server_error_rate},
              {"invokeFailureRate", k.invoke.failure_rate},
              {"invokeFailureCode", k.invoke.failure_code},
              {"invokeThrottleFirstN", k.invoke.throttle_first_n},
              {"outputLayout", to_string(k.processing.output_layout)},
              {"outputLostFraction", k.processing.output_lost_fraction},
              {"failAfterFraction", k.processing.fail_after_fraction},
              {"stopConflict", k.stop_conflict}};
}

namespace {

bool read_number(const json& value, double min, double max, double& out) {
  if (!value.is_number()) return false;
  const double v = value.get<double>();
  if (v < min || v > max) return false;
  out = v;
  return true;
}

// Applies one invoke* knob to `knobs`: nullopt when `name` is not one, else whether the value was valid.
std::optional<bool> apply_invoke_knob(const std::string& name, const json& value, InvokeKnobs& knobs) {
  double number = 0.0;
  auto rate = [&](double& target) {
    if (!read_number(value, 0.0, 1.0, number)) return false;
    target = number;
    return true;
  };
  auto integer = [&](auto& target, double min, double max) {
    if (!value.is_number_integer() || !read_number(value, min, max, number)) return false;
    target = static_cast<std::remove_reference_t<decltype(target)>>(number);
    return true;
  };
  if (name == "invokeLatencyMs") return integer(knobs.latency_ms, 0, 600000);
  if (name == "invokeThrottleRate") return rate(knobs.throttle_rate);
  if (name == "invokeServerErrorRate") return rate(knobs.server_error_rate);
  if (name == "invokeFailureRate") return rate(knobs.failure_rate);
  if (name == "invokeThrottleFirstN") return integer(knobs.throttle_first_n, 0, 1e9);
  if (name == "invokeFailureCode") {
    // Only statuses an InvokeModel error shape has, so the SDKs see a modelled exception.
    int code = 0;
    if (!integer(code, 400, 599) || !invoke_error_for_status(code)) return false;
    knobs.failure_code = code;
    return true;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> apply_knobs(const json& update, Knobs& knobs, JobStore& store) {
  if (!update.is_object()) return "the body must be a JSON object";
  Knobs next = knobs;
  StoreSettings settings = store.settings();
  for (const auto& [name, value] : update.items()) {
    double number = 0.0;
    bool ok = true;
    auto rate = [&](double& target) {
      ok = read_number(value, 0.0, 1.0, number);
      if (ok) target = number;
    };
    auto seconds = [&](double& target) {
      ok = read_number(value, 0.0, 86400.0, number);
      if (ok) target = number;
    };
    auto integer = [&](auto& target, double min, double max) {
      ok = value.is_number_integer() && read_number(value, min, max, number);
      if (ok) target = static_cast<std::remove_reference_t<decltype(target)>>(number);
    };
    if (const auto applied = apply_invoke_knob(name, value, next.invoke))
      ok = *applied;
    else if (name == "submittedSeconds")
      seconds(next.submitted_seconds);
    else if (name == "validatingSeconds")
      seconds(next.validating_seconds);
    else if (name == "scheduledSeconds")
      seconds(next.scheduled_seconds);
    else if (name == "stoppingSeconds")
      seconds(next.stopping_seconds);
    else if (name == "recordsPerSecond") {
      ok = read_number(value, 0.001, 1e9, number);
      if (ok) next.records_per_second = number;
    } else if (name == "throttleRate")
      rate(next.throttle_rate);
    else if (name == "serverErrorRate")
      rate(next.server_error_rate);
    else if (name == "forceQuotaExceeded") {
      ok = value.is_boolean();
      if (ok) next.force_quota_exceeded = value.get<bool>();
    } else if (name == "quotaExceededFirstN") {
      integer(next.quota_exceeded_first_n, 0, 1e9);
    } else if (name == "stopConflict") {
      ok = value.is_boolean();
      if (ok) next.stop_conflict = value.get<bool>();
    } else if (name == "outputLayout") {
      const auto layout = value.is_string() ? parse_output_layout(value.get<std::string>()) : std::nullopt;
      ok = layout.has_value();
      if (ok) next.processing.output_layout = *layout;
    } else if (name == "outputLostFraction")
      rate(next.processing.output_lost_fraction);
    else if (name == "failAfterFraction")
      rate(next.processing.fail_after_fraction);
    else if (name == "recordFailureRate")
      rate(next.processing.record_failure_rate);
    else if (name == "recordFailureCode")
      integer(next.processing.record_failure_code, 400, 599);
    else if (name == "unprocessedFraction")
      rate(next.processing.unprocessed_fraction);
    else if (name == "minRecords")
      integer(next.limits.min_records, 0, 1e9);
    else if (name == "maxRecords")
      integer(next.limits.max_records, 1, 1e9);
    else if (name == "maxConcurrentJobs")
      integer(settings.max_concurrent_jobs, 0, 1e6);
    else if (name == "secondsPerTimeoutHour") {
      ok = read_number(value, 0.0, 1e6, number);
      if (ok) settings.seconds_per_timeout_hour = number;
    } else {
      return "unknown knob '" + name + "'";
    }
    if (!ok) return "invalid value for knob '" + name + "': " + value.dump();
  }
  knobs = next;
  store.set_max_concurrent_jobs(settings.max_concurrent_jobs);
  store.set_seconds_per_timeout_hour(settings.seconds_per_timeout_hour);
  return std::nullopt;
}

}  // namespace batchgate::bedrock_emulator
