#pragma once

// The documents credential sources answer with (spec/aws-sigv4-s3.md §4.4–4.6): container and EC2 IMDS
// credentials JSON, credential_process output, ISO-8601 expirations, and when cached credentials are due
// for a refresh. Pure: no Asio, no clock, no environment.

#include <boost/system/result.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "server/aws/sigv4.hpp"

namespace batchgate::aws {

using SystemTime = std::chrono::system_clock::time_point;

// Why credentials could not be obtained: names the source that was tried and the reason. Never holds a
// secret (keys and tokens are not copied into messages).
struct CredentialsError {
  std::string message;
};

// Required by boost::system::result<T, CredentialsError>::value(); throws std::runtime_error(message).
[[noreturn]] void throw_exception_from_error(const CredentialsError& error,
                                             const boost::source_location& location);

template <typename T>
using CredentialsResult = boost::system::result<T, CredentialsError>;

inline CredentialsError credentials_error(std::string message) {
  return CredentialsError{std::move(message)};
}

// Credentials and, for temporary ones, when they stop working.
struct TimedCredentials {
  Credentials credentials;
  std::optional<SystemTime> expiration;  // nullopt: long-term keys, never refreshed
};

// "2024-01-15T13:00:00Z", with optional fractional seconds and a "+HH:MM"/"-HH:MM"/"Z" offset.
std::optional<SystemTime> parse_iso8601(std::string_view text);

// Container endpoint (ECS/EKS Pod Identity) JSON: AccessKeyId, SecretAccessKey, Token, Expiration.
CredentialsResult<TimedCredentials> parse_container_credentials(std::string_view json);

// EC2 IMDS security-credentials JSON. A 200 whose Code is not "Success" is an error, and all of
// AccessKeyId, SecretAccessKey, Token, Expiration are required (spec §4.5).
CredentialsResult<TimedCredentials> parse_imds_credentials(std::string_view json);

// credential_process stdout: {"Version":1, AccessKeyId, SecretAccessKey, SessionToken?, Expiration?}.
CredentialsResult<TimedCredentials> parse_process_credentials(std::string_view json);

// When cached credentials must be fetched again.
struct RefreshPolicy {
  // Refresh this long before Expiration (spec §4: 5–15 min before).
  std::chrono::seconds advisory_window{5 * 60};
  // Inside the advisory window, a failed (or still-short-lived) refresh is retried at most this often;
  // the cached credentials keep being used until they actually expire.
  std::chrono::seconds retry_interval{10};
};

enum class RefreshNeed {
  kNone,       // cached credentials are fine
  kAdvisory,   // refresh, but the cached credentials may still be used if it fails
  kMandatory,  // expired (or nothing cached): a refresh must succeed
};

// `last_attempt` is when the previous refresh was tried (nullopt when never).
RefreshNeed refresh_need(const std::optional<TimedCredentials>& cached, SystemTime now,
                         std::optional<SystemTime> last_attempt, const RefreshPolicy& policy);

}  // namespace batchgate::aws
