#include "server/aws/credentials.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <sstream>

#include "server/aws/credentials_fetch.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;
using Outcome = CredentialsResult<TimedCredentials>;

std::string env_or_empty(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  return value ? *value : std::string();
}

std::string read_file_or_empty_blocking(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Prefixes a failure with the source it came from.
CredentialsFetch labelled(std::string source, CredentialsFetch fetch) {
  return [source = std::move(source), fetch = std::move(fetch)]() -> asio::awaitable<Outcome> {
    Outcome outcome = co_await fetch();
    if (!outcome) co_return credentials_error(source + ": " + outcome.error().message);
    co_return outcome;
  };
}

CredentialsFetch base_fetch(Context context, const BaseStep& step) {
  if (auto keys = std::get_if<StaticKeysStep>(&step)) {
    return [credentials = keys->credentials]() -> asio::awaitable<Outcome> {
      co_return TimedCredentials{credentials, std::nullopt};
    };
  }
  if (auto process = std::get_if<ProcessStep>(&step)) {
    return [context, command = process->command]() { return fetch_process(context, command); };
  }
  if (auto web = std::get_if<WebIdentityStep>(&step)) {
    return [context, web = *web]() { return fetch_web_identity(context, web); };
  }
  // credential_source: the named source of the environment, container or instance (spec §4.2).
  return [context, source = std::get<CredentialSourceStep>(step)]() -> asio::awaitable<Outcome> {
    if (source == CredentialSourceStep::kEnvironment) {
      auto found = environment_credentials(context->env);
      if (!found) co_return found.error();
      if (!*found) co_return credentials_error("credential_source Environment: AWS_ACCESS_KEY_ID not set");
      co_return std::move(**found);
    }
    if (source == CredentialSourceStep::kEcsContainer) {
      auto endpoint = container_endpoint(context->env, context->container_host);
      if (!endpoint) co_return endpoint.error();
      if (!*endpoint)
        co_return credentials_error("credential_source EcsContainer: no container endpoint set");
      co_return co_await fetch_container(context, std::move(**endpoint));
    }
    auto imds = imds_endpoint(context->env, context->imds_override);
    if (!imds) co_return credentials_error("credential_source Ec2InstanceMetadata: IMDS is disabled");
    co_return co_await fetch_imds(context, std::move(*imds));
  };
}

// A profile's base credentials, then each role of its source_profile chain assumed in turn.
CredentialsFetch profile_fetch(Context context, ProfilePlan plan) {
  CredentialsFetch base = base_fetch(context, plan.base);
  if (plan.roles.empty()) return base;
  return [context, base, roles = std::move(plan.roles)]() -> asio::awaitable<Outcome> {
    Outcome current = co_await base();
    for (const AssumeRoleParams& role : roles) {
      if (!current) co_return current;
      current = co_await assume_role(context, current->credentials, role);
    }
    co_return current;
  };
}

CredentialsFetch plan_fetch(Context context, Detection detection) {
  SourcePlan& plan = detection.plan;
  CredentialsFetch fetch;
  if (auto fixed = std::get_if<StaticSource>(&plan)) {
    fetch = [credentials = fixed->credentials]() -> asio::awaitable<Outcome> { co_return credentials; };
  } else if (auto web = std::get_if<WebIdentityStep>(&plan)) {
    fetch = [context, web = *web]() { return fetch_web_identity(context, web); };
  } else if (auto profile = std::get_if<ProfilePlan>(&plan)) {
    fetch = profile_fetch(context, std::move(*profile));
  } else if (auto container = std::get_if<ContainerEndpoint>(&plan)) {
    fetch = [context, endpoint = *container]() { return fetch_container(context, endpoint); };
  } else {
    fetch = [context, imds = std::get<ImdsEndpoint>(plan)]() { return fetch_imds(context, imds); };
  }
  return labelled(std::move(detection.source), std::move(fetch));
}

// The chain: decides the source on the first call (and again after a failure), then keeps refreshing
// from the source that worked. Only called by one RefreshingCredentials, one call at a time.
CredentialsFetch chain_fetch(Context context, DetectionInputs inputs) {
  auto selected = std::make_shared<CredentialsFetch>();
  auto shared_inputs = std::make_shared<DetectionInputs>(std::move(inputs));
  return [context, selected, shared_inputs]() -> asio::awaitable<Outcome> {
    if (*selected) co_return co_await (*selected)();
    // Reading the shared files blocks: done on the context's pool. The lambda and the awaitable are named
    // before co_await (g++ 12 destroys lambda temporaries inside co_await expressions twice, PR 101367).
    auto detect = [shared_inputs]() -> asio::awaitable<CredentialsResult<Detection>> {
      co_return detect_credentials_source(*shared_inputs);
    };
    auto task = asio::co_spawn(context->blocking, std::move(detect), asio::use_awaitable);
    auto detection = co_await std::move(task);
    if (!detection) co_return detection.error();
    CredentialsFetch fetch = plan_fetch(context, std::move(*detection));
    Outcome outcome = co_await fetch();
    if (outcome) *selected = std::move(fetch);
    co_return outcome;
  };
}

DetectionInputs detection_inputs(const config::AwsAuth& auth, const Context& context,
                                 const CredentialsOptions& options) {
  DetectionInputs inputs;
  inputs.explicit_auth =
      ExplicitAuth{auth.access_key_id, auth.secret_access_key, auth.session_token, auth.profile_name};
  inputs.env = context->env;
  inputs.container_host = options.container_host;
  inputs.imds_override = options.imds_endpoint;
  inputs.load_shared_files = [env = context->env, home = context->home] {
    SharedFiles files;
    files.credentials_path = shared_credentials_path(env, home);
    files.config_path = shared_config_path(env, home);
    files.credentials = parse_ini(read_file_or_empty_blocking(files.credentials_path));
    files.config = parse_ini(read_file_or_empty_blocking(files.config_path));
    return files;
  };
  return inputs;
}

Context make_context(std::string region, HttpClient& http, const CredentialsOptions& options) {
  HttpClientOptions metadata;
  metadata.connect_timeout = options.metadata_timeout;
  metadata.io_timeout = options.metadata_timeout;
  metadata.max_body_bytes = 64 * 1024;
  auto context = std::make_shared<FetchContext>(http, metadata, options.blocking_pool);
  context->env = options.environment ? options.environment : process_environment();
  context->home = options.home_directory ? *options.home_directory : env_or_empty(context->env, "HOME");
  context->region = std::move(region);
  std::string sts = options.sts_endpoint;
  if (sts.empty()) sts = env_or_empty(context->env, "AWS_ENDPOINT_URL_STS");
  if (sts.empty()) sts = env_or_empty(context->env, "AWS_ENDPOINT_URL");
  context->sts_url = sts_endpoint(context->region, sts);
  context->sts_retry = options.sts_retry;
  context->metadata_attempts = options.metadata_attempts;
  context->process_timeout = options.process_timeout;
  context->container_host = options.container_host;
  context->imds_override = options.imds_endpoint;
  return context;
}

WarningLog warning_log(const CredentialsOptions& options) {
  if (options.warn) return options.warn;
  return [](const std::string& message) { spdlog::warn("{}", message); };
}

// Free coroutines with by-value parameters: the frame owns what it uses, so a caller may drop the
// resolver/provider object while a call is still running (a capturing coroutine lambda would not allow it).
asio::awaitable<CredentialsResult<Credentials>> get_from(std::shared_ptr<RefreshingCredentials> cache) {
  co_return co_await cache->get();
}

asio::awaitable<Result<Credentials>> provide(CredentialsResolver resolver, WarningLog warn) {
  CredentialsResult<Credentials> credentials = co_await resolver();
  if (credentials) co_return std::move(*credentials);
  warn("AWS credentials unavailable: " + credentials.error().message);
  co_return HttpErrc::kCredentials;
}

}  // namespace

CredentialsResolver make_credentials_resolver(const config::AwsAuth& auth, std::string region,
                                              HttpClient& http, CredentialsOptions options) {
  Context context = make_context(std::move(region), http, options);
  WarningLog warn = warning_log(options);
  auto base =
      std::make_shared<RefreshingCredentials>(chain_fetch(context, detection_inputs(auth, context, options)),
                                              http.executor(), options.clock, options.refresh, warn);
  if (auth.role_name.empty()) {
    return [base]() { return get_from(base); };
  }
  AssumeRoleParams params;
  params.role_arn = auth.role_name;
  if (!auth.session_name.empty()) params.role_session_name = auth.session_name;
  if (!auth.external_id.empty()) params.external_id = auth.external_id;
  params.duration_seconds = options.role_duration_seconds;
  CredentialsFetch assume = [context, base, params]() -> asio::awaitable<Outcome> {
    auto credentials = co_await base->get();
    if (!credentials) {
      co_return credentials_error("AssumeRole " + params.role_arn +
                                  ": base credentials: " + credentials.error().message);
    }
    co_return co_await assume_role(context, std::move(*credentials), params);
  };
  auto role = std::make_shared<RefreshingCredentials>(std::move(assume), http.executor(), options.clock,
                                                      options.refresh, warn);
  return [role]() { return get_from(role); };
}

CredentialsProvider make_credentials_provider(const config::AwsAuth& auth, std::string region,
                                              HttpClient& http, CredentialsOptions options) {
  WarningLog warn = warning_log(options);
  CredentialsResolver resolver = make_credentials_resolver(auth, std::move(region), http, std::move(options));
  return [resolver, warn]() { return provide(resolver, warn); };
}

}  // namespace batchgate::aws
