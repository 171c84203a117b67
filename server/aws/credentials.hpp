#pragma once

// The AWS credentials provider chain (spec/aws-sigv4-s3.md §4, §5): where the proxy's signing credentials
// come from, cached and refreshed before they expire, optionally exchanged for a role's credentials with
// STS AssumeRole (LiteLLM's aws_role_name / aws_session_name / aws_external_id).
//
// Chain, first match wins (credentials_sources.hpp has the details):
//   explicit keys (aws_access_key_id/aws_secret_access_key[/aws_session_token])
//   → explicit profile (aws_profile_name) → environment keys → web identity (AWS_WEB_IDENTITY_TOKEN_FILE)
//   → shared files profile (AWS_PROFILE / AWS_DEFAULT_PROFILE / default: static keys, credential_process,
//     role_arn + source_profile / credential_source, web_identity_token_file)
//   → container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI) → EC2 IMDSv2
//   then AssumeRole(role_name) on top when configured.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "server/aws/credentials_cache.hpp"
#include "server/aws/credentials_documents.hpp"
#include "server/aws/credentials_sources.hpp"
#include "server/aws/http_client.hpp"

namespace batchgate::aws {

struct CredentialsOptions {
  EnvLookup environment;                      // empty → the process environment
  std::optional<std::string> home_directory;  // empty → $HOME (for ~/.aws/* and "~/" in paths)
  std::string imds_endpoint;  // IMDS stand-in; empty → AWS_EC2_METADATA_SERVICE_ENDPOINT or 169.254.169.254
  std::string container_host{kContainerHost};  // base of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
  std::string sts_endpoint;  // empty → AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, then regional
  Clock clock;  // expiry decisions only (STS calls are signed with the real time); empty → system clock
  RefreshPolicy refresh;
  std::chrono::milliseconds metadata_timeout{1'000};  // IMDS and container endpoint, per connect and per read
  int metadata_attempts = 2;
  std::chrono::milliseconds process_timeout{60'000};  // credential_process
  RetryPolicy sts_retry;
  std::optional<int> role_duration_seconds;  // DurationSeconds of the AssumeRole for auth.role_name
  WarningLog warn;                           // empty → spdlog warnings
  // The application's pool for blocking work (shared files, token files, credential_process); it must
  // outlive the provider. Null → the provider owns a one-thread pool.
  boost::asio::thread_pool* blocking_pool = nullptr;
};

// Failures carry a message naming the source tried and why it failed (no secrets).
using CredentialsResolver = std::function<boost::asio::awaitable<CredentialsResult<Credentials>>()>;

// The chain for one configuration. `region` is the STS signing region (the model's aws_region_name).
// `http` must outlive the returned resolver. Nothing is read or fetched until the first call.
CredentialsResolver make_credentials_resolver(const config::AwsAuth& auth, std::string region,
                                              HttpClient& http, CredentialsOptions options = {});

// The same, as the CredentialsProvider the AWS clients take: a failure is logged (options.warn / spdlog)
// with its message and returned as HttpErrc::kCredentials.
CredentialsProvider make_credentials_provider(const config::AwsAuth& auth, std::string region,
                                              HttpClient& http, CredentialsOptions options = {});

}  // namespace batchgate::aws
