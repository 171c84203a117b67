#pragma once

// AWS "standard" retry mode, the pure part: which failures are retried and how long to wait.
// The loop that sleeps and re-sends lives in http_client.cpp (send_with_retry).

#include <chrono>
#include <functional>
#include <string_view>

namespace batchgate::aws {

struct RetryPolicy {
  int max_attempts = 3;  // total attempts, first one included
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20'000};
  // Uniform random number in [0, 1) for the jitter; empty → an internal PRNG. Injected by tests.
  std::function<double()> random;
};

enum class RetryReason { kNone, kThrottling, kTransient };

// Throttling codes: ThrottlingException, Throttling, SlowDown, RequestLimitExceeded,
// TooManyRequestsException,
// ... Transient codes: InternalServerException, InternalError, ServiceUnavailable, RequestTimeout, ...
bool is_throttling_error_code(std::string_view code);
bool is_transient_error_code(std::string_view code);

// Decision for a response that arrived. 429 and 500/502/503/504 are retried whatever the code; other 4xx
// only when the code names throttling (STS answers 400 Throttling). 2xx/3xx never.
RetryReason classify_response(int http_status, std::string_view error_code);

// Connection-level failures (refused, reset, timeout, TLS handshake interrupted) are always transient.
inline RetryReason classify_connection_error() {
  return RetryReason::kTransient;
}

// Full-jitter exponential backoff before retry number `retry` (1 for the wait after the first attempt):
// random(0, min(max_delay, base_delay * 2^(retry-1))).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry);

}  // namespace batchgate::aws
