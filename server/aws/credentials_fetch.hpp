#pragma once

// The network (and process) side of each credential source (spec/aws-sigv4-s3.md §4.3–4.6, §5): container
// endpoint, EC2 IMDSv2, STS AssumeRole / AssumeRoleWithWebIdentity, credential_process. Used by the chain
// in credentials.cpp; errors name the endpoint or file and the reason, never a secret.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "server/aws/credentials_cache.hpp"
#include "server/aws/credentials_ini.hpp"
#include "server/aws/credentials_sources.hpp"
#include "server/aws/http_client.hpp"
#include "server/aws/sts_protocol.hpp"

namespace batchgate::aws {

// What every fetch needs; shared (shared_ptr) by the chain and the refresh caches.
struct FetchContext {
  FetchContext(HttpClient& client, HttpClientOptions metadata_options, boost::asio::thread_pool* shared_pool)
      : http(client),
        metadata_http(client.executor(), std::move(metadata_options)),
        own_pool(shared_pool != nullptr ? nullptr : std::make_unique<boost::asio::thread_pool>(1)),
        blocking((shared_pool != nullptr ? *shared_pool : *own_pool).get_executor()) {}

  HttpClient& http;          // STS (the application's pool)
  HttpClient metadata_http;  // IMDS and container endpoint: short timeouts
  // File reads and credential_process stay off the I/O threads: the application's pool, or our own.
  std::unique_ptr<boost::asio::thread_pool> own_pool;
  boost::asio::thread_pool::executor_type blocking;
  EnvLookup env;
  std::string home;
  std::string region;   // signing region for STS
  std::string sts_url;  // STS endpoint
  RetryPolicy sts_retry;
  int metadata_attempts = 2;
  std::chrono::milliseconds process_timeout{60'000};
  std::string container_host{kContainerHost};  // credential_source EcsContainer
  std::string imds_override;                   // credential_source Ec2InstanceMetadata
};

using Context = std::shared_ptr<FetchContext>;

// Reads a small file (token files) on the blocking pool; trailing whitespace removed. Error names the path.
boost::asio::awaitable<CredentialsResult<std::string>> read_token_file(Context context, std::string path);

boost::asio::awaitable<CredentialsResult<TimedCredentials>> fetch_container(Context context,
                                                                            ContainerEndpoint endpoint);
boost::asio::awaitable<CredentialsResult<TimedCredentials>> fetch_imds(Context context,
                                                                       ImdsEndpoint endpoint);
// AssumeRoleWithWebIdentity (unsigned) with the token file read now (it rotates).
boost::asio::awaitable<CredentialsResult<TimedCredentials>> fetch_web_identity(Context context,
                                                                               WebIdentityStep step);
// AssumeRole signed with `base` (service "sts", the context's region).
boost::asio::awaitable<CredentialsResult<TimedCredentials>> assume_role(Context context, Credentials base,
                                                                        AssumeRoleParams params);
boost::asio::awaitable<CredentialsResult<TimedCredentials>> fetch_process(Context context,
                                                                          std::string command);

}  // namespace batchgate::aws
