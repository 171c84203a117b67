#include "server/aws/retry.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace batchgate::aws {
namespace {

// botocore retries/standard.py and _retry.json (throttling and transient error codes).
constexpr std::array<std::string_view, 11> kThrottlingCodes = {"Throttling",
                                                               "ThrottlingException",
                                                               "ThrottledException",
                                                               "RequestThrottledException",
                                                               "TooManyRequestsException",
                                                               "ProvisionedThroughputExceededException",
                                                               "TransactionInProgressException",
                                                               "RequestLimitExceeded",
                                                               "BandwidthLimitExceeded",
                                                               "LimitExceededException",
                                                               "SlowDown"};

constexpr std::array<std::string_view, 7> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalServerException",
    "InternalError",  "ServiceUnavailable",      "IDPCommunicationError"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

double internal_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

bool is_throttling_error_code(std::string_view code) {
  return contains(kThrottlingCodes, code);
}

bool is_transient_error_code(std::string_view code) {
  return contains(kTransientCodes, code);
}

RetryReason classify_response(int http_status, std::string_view error_code) {
  if (http_status >= 200 && http_status < 400) return RetryReason::kNone;
  if (http_status == 429 || is_throttling_error_code(error_code)) return RetryReason::kThrottling;
  if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
    return RetryReason::kTransient;
  }
  if (is_transient_error_code(error_code)) return RetryReason::kTransient;
  return RetryReason::kNone;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry) {
  double ceiling = static_cast<double>(policy.base_delay.count());
  for (int i = 1; i < retry && ceiling < static_cast<double>(policy.max_delay.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(policy.max_delay.count()));
  double fraction = policy.random ? policy.random() : internal_random();
  fraction = std::clamp(fraction, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(ceiling * fraction));
}

}  // namespace batchgate::aws
