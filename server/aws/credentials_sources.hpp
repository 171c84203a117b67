#pragma once

// Which credential source applies, decided from the configuration, the environment and the shared files
// (spec/aws-sigv4-s3.md §4). Pure apart from the file-reading callback the caller passes (blocking I/O).
//
// Order: explicit config keys → explicit config profile (aws_profile_name: like a profile passed to a
// boto3 Session, it wins over environment keys) → environment keys → web identity (env) → profile
// (AWS_PROFILE / AWS_DEFAULT_PROFILE / "default") → container endpoint → EC2 IMDS.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "server/aws/credentials_documents.hpp"
#include "server/aws/credentials_ini.hpp"

namespace batchgate::aws {

// Environment variable lookup; nullopt when unset. Injected by tests.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_environment();

inline constexpr std::string_view kContainerHost = "http://169.254.170.2";
inline constexpr std::string_view kImdsEndpoint = "http://169.254.169.254";
inline constexpr std::string_view kImdsEndpointIpv6 = "http://[fd00:ec2::254]";

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (legacy AWS_SECURITY_TOKEN) /
// AWS_CREDENTIAL_EXPIRATION. Empty when neither key is set; an error when only one is, or when the
// expiration is not ISO-8601.
CredentialsResult<std::optional<TimedCredentials>> environment_credentials(const EnvLookup& env);

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]. Empty when neither is set; an error
// when only one is.
CredentialsResult<std::optional<WebIdentityStep>> environment_web_identity(const EnvLookup& env);

struct ContainerEndpoint {
  std::string url;                        // full URL of the credentials document
  std::optional<std::string> token_file;  // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every fetch)
  std::optional<std::string> token;       // AWS_CONTAINER_AUTHORIZATION_TOKEN
};
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (under `container_host`) or AWS_CONTAINER_CREDENTIALS_FULL_URI,
// whose host must be loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23 unless it is https (§4.4).
CredentialsResult<std::optional<ContainerEndpoint>> container_endpoint(const EnvLookup& env,
                                                                       std::string_view container_host);

struct ImdsEndpoint {
  std::string endpoint;  // "http://169.254.169.254"
  bool allow_v1 = true;  // fall back to IMDSv1 when the token PUT is refused (403/404/405)
};
// Empty when AWS_EC2_METADATA_DISABLED=true. `override_endpoint` (tests) beats
// AWS_EC2_METADATA_SERVICE_ENDPOINT, which beats AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6.
std::optional<ImdsEndpoint> imds_endpoint(const EnvLookup& env, std::string_view override_endpoint);

// Shared file paths: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, defaults under `home`; "~/" expanded.
std::string shared_credentials_path(const EnvLookup& env, std::string_view home);
std::string shared_config_path(const EnvLookup& env, std::string_view home);
std::string expand_home(std::string_view path, std::string_view home);

// Explicit settings from the proxy configuration (LiteLLM aws_* keys).
struct ExplicitAuth {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string profile_name;
};

struct StaticSource {
  TimedCredentials credentials;
};
using SourcePlan = std::variant<StaticSource, WebIdentityStep, ProfilePlan, ContainerEndpoint, ImdsEndpoint>;

struct Detection {
  SourcePlan plan;
  std::string source;  // what was chosen, for messages: "environment", "profile \"dev\" (static keys)", ...
};

struct DetectionInputs {
  ExplicitAuth explicit_auth;
  EnvLookup env;
  std::function<SharedFiles()> load_shared_files;  // blocking: reads both files (missing → empty)
  std::string container_host{kContainerHost};
  std::string imds_override;
};

// Runs the chain's decision. The error lists every source tried and why it did not apply.
CredentialsResult<Detection> detect_credentials_source(const DetectionInputs& inputs);

}  // namespace batchgate::aws
