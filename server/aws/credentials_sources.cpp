#include "server/aws/credentials_sources.hpp"

#include <array>
#include <cstdlib>

namespace batchgate::aws {
namespace {

std::string get(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  return value ? *value : std::string();
}

bool is_true(std::string value) {
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "true" || value == "1";
}

// Hosts a plain-http AWS_CONTAINER_CREDENTIALS_FULL_URI may point at (spec §4.4).
bool allowed_container_host(const std::string& host) {
  static const std::array<std::string_view, 6> kAllowed = {"localhost",      "::1",          "169.254.170.2",
                                                           "169.254.170.23", "fd00:ec2::23", "127.0.0.1"};
  for (std::string_view allowed : kAllowed) {
    if (host == allowed) return true;
  }
  return host.starts_with("127.");
}

std::string join(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& note : notes) out += (out.empty() ? "" : "; ") + note;
  return out;
}

Detection profile_detection(ProfilePlan plan) {
  std::string source = "profile \"" + plan.profile + "\" (" + describe(plan.base) +
                       (plan.roles.empty() ? "" : " + AssumeRole") + ")";
  return Detection{std::move(plan), std::move(source)};
}

CredentialsResult<std::optional<Detection>> explicit_source(const ExplicitAuth& auth) {
  if (auth.access_key_id.empty() && auth.secret_access_key.empty()) return std::optional<Detection>{};
  if (auth.access_key_id.empty() || auth.secret_access_key.empty()) {
    return credentials_error(std::string("explicit configuration: ") +
                             (auth.access_key_id.empty()
                                  ? "aws_secret_access_key is set but aws_access_key_id is not"
                                  : "aws_access_key_id is set but aws_secret_access_key is not"));
  }
  TimedCredentials credentials;
  credentials.credentials.access_key_id = auth.access_key_id;
  credentials.credentials.secret_access_key = auth.secret_access_key;
  if (!auth.session_token.empty()) credentials.credentials.session_token = auth.session_token;
  return std::optional<Detection>(Detection{StaticSource{std::move(credentials)}, "explicit configuration"});
}

}  // namespace

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

CredentialsResult<std::optional<TimedCredentials>> environment_credentials(const EnvLookup& env) {
  std::string id = get(env, "AWS_ACCESS_KEY_ID");
  std::string secret = get(env, "AWS_SECRET_ACCESS_KEY");
  if (id.empty() && secret.empty()) return std::optional<TimedCredentials>{};
  if (id.empty() || secret.empty()) {
    return credentials_error(id.empty() ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                        : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  TimedCredentials out;
  out.credentials.access_key_id = std::move(id);
  out.credentials.secret_access_key = std::move(secret);
  std::string token = get(env, "AWS_SESSION_TOKEN");
  if (token.empty()) token = get(env, "AWS_SECURITY_TOKEN");
  if (!token.empty()) out.credentials.session_token = std::move(token);
  std::string expiration = get(env, "AWS_CREDENTIAL_EXPIRATION");
  if (!expiration.empty()) {
    out.expiration = parse_iso8601(expiration);
    if (!out.expiration) return credentials_error("AWS_CREDENTIAL_EXPIRATION is not ISO-8601: " + expiration);
  }
  return std::optional<TimedCredentials>(std::move(out));
}

CredentialsResult<std::optional<WebIdentityStep>> environment_web_identity(const EnvLookup& env) {
  std::string token_file = get(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  std::string role_arn = get(env, "AWS_ROLE_ARN");
  if (token_file.empty() && role_arn.empty()) return std::optional<WebIdentityStep>{};
  if (token_file.empty() || role_arn.empty()) {
    return credentials_error(token_file.empty()
                                 ? "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"
                                 : "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
  }
  std::string session = get(env, "AWS_ROLE_SESSION_NAME");
  if (session.empty()) session = std::string(kDefaultRoleSessionName);
  return std::optional<WebIdentityStep>(WebIdentityStep{std::move(role_arn), std::move(session), token_file});
}

CredentialsResult<std::optional<ContainerEndpoint>> container_endpoint(const EnvLookup& env,
                                                                       std::string_view container_host) {
  ContainerEndpoint endpoint;
  std::string relative = get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  std::string full = get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative.empty()) {
    endpoint.url = std::string(container_host) + (relative.front() == '/' ? "" : "/") + relative;
  } else if (!full.empty()) {
    std::optional<Url> url = parse_url(full);
    if (!url) return credentials_error("AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
    if (!url->is_tls() && !allowed_container_host(url->host)) {
      return credentials_error("AWS_CONTAINER_CREDENTIALS_FULL_URI host " + url->host +
                               " is not loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23 (use https)");
    }
    endpoint.url = full;
  } else {
    return std::optional<ContainerEndpoint>{};
  }
  if (std::string file = get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
    endpoint.token_file = file;
  } else if (std::string token = get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"); !token.empty()) {
    endpoint.token = token;
  }
  return std::optional<ContainerEndpoint>(std::move(endpoint));
}

std::optional<ImdsEndpoint> imds_endpoint(const EnvLookup& env, std::string_view override_endpoint) {
  if (is_true(get(env, "AWS_EC2_METADATA_DISABLED"))) return std::nullopt;
  ImdsEndpoint out;
  out.allow_v1 = !is_true(get(env, "AWS_EC2_METADATA_V1_DISABLED"));
  std::string configured = get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  std::string mode = get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
  if (!override_endpoint.empty()) {
    out.endpoint = std::string(override_endpoint);
  } else if (!configured.empty()) {
    out.endpoint = configured;
  } else if (mode == "IPv6" || mode == "ipv6") {
    out.endpoint = std::string(kImdsEndpointIpv6);
  } else {
    out.endpoint = std::string(kImdsEndpoint);
  }
  while (!out.endpoint.empty() && out.endpoint.back() == '/') out.endpoint.pop_back();
  return out;
}

std::string expand_home(std::string_view path, std::string_view home) {
  if (path == "~") return std::string(home);
  if (path.starts_with("~/")) return std::string(home) + std::string(path.substr(1));
  return std::string(path);
}

std::string shared_credentials_path(const EnvLookup& env, std::string_view home) {
  std::string configured = get(env, "AWS_SHARED_CREDENTIALS_FILE");
  return expand_home(configured.empty() ? "~/.aws/credentials" : configured, home);
}

std::string shared_config_path(const EnvLookup& env, std::string_view home) {
  std::string configured = get(env, "AWS_CONFIG_FILE");
  return expand_home(configured.empty() ? "~/.aws/config" : configured, home);
}

namespace {

// One stage of the chain: what it found, or the notes on why its sources did not apply.
struct Stage {
  std::optional<Detection> found;
  std::vector<std::string> skipped;
};

// Reads the shared files at most once per detection, and only when a stage needs them.
class ProfileLookup {
 public:
  explicit ProfileLookup(const DetectionInputs& inputs) : inputs_(inputs) {}
  CredentialsResult<ProfileResolution> resolve(const std::string& name) {
    if (!files_) files_ = inputs_.load_shared_files ? inputs_.load_shared_files() : SharedFiles{};
    return resolve_profile(*files_, name);
  }

 private:
  const DetectionInputs& inputs_;
  std::optional<SharedFiles> files_;
};

CredentialsResult<Stage> configured_stage(const DetectionInputs& inputs, ProfileLookup& profiles) {
  auto from_config = explicit_source(inputs.explicit_auth);
  if (!from_config) return from_config.error();
  if (*from_config) return Stage{std::move(*from_config), {}};
  // A profile named in the proxy configuration is like a profile passed to a boto3 Session: it is used
  // instead of environment keys, and it must yield credentials (spec §4).
  const std::string& name = inputs.explicit_auth.profile_name;
  if (name.empty()) return Stage{std::nullopt, {"explicit configuration: no aws_access_key_id"}};
  auto resolved = profiles.resolve(name);
  if (!resolved) return credentials_error("aws_profile_name: " + resolved.error().message);
  if (!resolved->plan) return credentials_error("aws_profile_name: " + resolved->skipped);
  return Stage{profile_detection(std::move(*resolved->plan)), {}};
}

CredentialsResult<Stage> environment_stage(const EnvLookup& env) {
  auto from_env = environment_credentials(env);
  if (!from_env) return credentials_error("environment: " + from_env.error().message);
  if (*from_env)
    return Stage{Detection{StaticSource{std::move(**from_env)}, "environment (AWS_ACCESS_KEY_ID)"}, {}};
  auto web_identity = environment_web_identity(env);
  if (!web_identity) return credentials_error("web identity: " + web_identity.error().message);
  if (*web_identity) {
    return Stage{Detection{std::move(**web_identity), "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"}, {}};
  }
  return Stage{
      std::nullopt,
      {"environment: AWS_ACCESS_KEY_ID not set", "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set"}};
}

CredentialsResult<Stage> profile_stage(const EnvLookup& env, ProfileLookup& profiles) {
  std::string name = get(env, "AWS_PROFILE");
  if (name.empty()) name = get(env, "AWS_DEFAULT_PROFILE");
  const bool named = !name.empty();
  auto resolved = profiles.resolve(named ? name : "default");
  if (!resolved) return credentials_error("shared files: " + resolved.error().message);
  if (resolved->plan) return Stage{profile_detection(std::move(*resolved->plan)), {}};
  // botocore fails on a profile selected by AWS_PROFILE that does not exist instead of going on.
  if (named) return credentials_error("AWS_PROFILE: " + resolved->skipped);
  return Stage{std::nullopt, {"shared files: " + resolved->skipped}};
}

// Container endpoint, then IMDS. `skipped_so_far` goes into the IMDS source's name so that an IMDS
// failure (the usual outcome off EC2) also tells what else was tried.
CredentialsResult<Stage> machine_stage(const DetectionInputs& inputs,
                                       const std::vector<std::string>& skipped_so_far) {
  auto container = container_endpoint(inputs.env, inputs.container_host);
  if (!container) return credentials_error("container: " + container.error().message);
  if (*container) return Stage{Detection{std::move(**container), "container endpoint"}, {}};
  std::vector<std::string> skipped = skipped_so_far;
  skipped.push_back("container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set");
  if (auto imds = imds_endpoint(inputs.env, inputs.imds_override)) {
    std::string source = "EC2 instance metadata (" + imds->endpoint + "), after " + join(skipped);
    return Stage{Detection{std::move(*imds), std::move(source)}, {}};
  }
  skipped.push_back("EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
  return Stage{std::nullopt, std::move(skipped)};
}

}  // namespace

CredentialsResult<Detection> detect_credentials_source(const DetectionInputs& inputs) {
  ProfileLookup profiles(inputs);
  std::vector<std::string> skipped;
  auto take = [&skipped](CredentialsResult<Stage> stage) -> CredentialsResult<std::optional<Detection>> {
    if (!stage) return stage.error();
    skipped.insert(skipped.end(), stage->skipped.begin(), stage->skipped.end());
    return std::move(stage->found);
  };
  auto configured = take(configured_stage(inputs, profiles));
  if (!configured) return configured.error();
  if (*configured) return std::move(**configured);
  auto environment = take(environment_stage(inputs.env));
  if (!environment) return environment.error();
  if (*environment) return std::move(**environment);
  auto profile = take(profile_stage(inputs.env, profiles));
  if (!profile) return profile.error();
  if (*profile) return std::move(**profile);
  auto machine = machine_stage(inputs, skipped);
  if (!machine) return machine.error();
  if (machine->found) return std::move(*machine->found);
  return credentials_error("no AWS credentials found: " + join(machine->skipped));
}

}  // namespace batchgate::aws
