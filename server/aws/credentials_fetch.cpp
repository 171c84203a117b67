#include "server/aws/credentials_fetch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <sstream>

#include "server/aws/credentials_process.hpp"
#include "server/common/blocking.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;
using Outcome = CredentialsResult<TimedCredentials>;

constexpr std::size_t kMaxBodyInMessage = 200;

std::string cut(std::string_view text) {
  std::string out(text.substr(0, kMaxBodyInMessage));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string status_text(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (!response.body.empty()) text += ": " + cut(response.body);
  return text;
}

struct Target {
  Url endpoint;
  HttpRequest request;
};

// "http://host:port/path?query" → the origin to connect to and a GET request for the target.
std::optional<Target> target_of(std::string_view text) {
  std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::size_t path_start = text.find('/', scheme_end + 3);
  std::optional<Url> origin = parse_url(text.substr(0, path_start));
  if (!origin) return std::nullopt;
  std::string_view rest = path_start == std::string_view::npos ? "/" : text.substr(path_start);
  Target target{*origin, HttpRequest{}};
  std::size_t question = rest.find('?');
  target.request.path = std::string(rest.substr(0, question));
  if (question != std::string_view::npos) target.request.query = std::string(rest.substr(question + 1));
  return target;
}

asio::awaitable<Result<HttpResponse>> metadata_call(Context context, Url endpoint, HttpRequest request) {
  RetryPolicy policy;
  policy.max_attempts = context->metadata_attempts;
  policy.base_delay = std::chrono::milliseconds(50);
  policy.max_delay = std::chrono::milliseconds(500);
  RequestFactory factory = [request]() -> asio::awaitable<Result<HttpRequest>> { co_return request; };
  co_return co_await send_with_retry(context->metadata_http, std::move(endpoint), factory, policy);
}

asio::awaitable<Result<HttpResponse>> imds_call(Context context, const Url& endpoint, std::string method,
                                                std::string path, const std::optional<std::string>& token) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  if (request.method == "PUT") request.headers.push_back({"x-aws-ec2-metadata-token-ttl-seconds", "21600"});
  if (token) request.headers.push_back({"x-aws-ec2-metadata-token", *token});
  co_return co_await metadata_call(context, endpoint, std::move(request));
}

// IMDSv2 session token (spec §4.5 step 1). nullopt token with no error: IMDSv1 fallback allowed.
asio::awaitable<CredentialsResult<std::optional<std::string>>> imds_token(Context context,
                                                                          const Url& endpoint,
                                                                          bool allow_v1) {
  auto response = co_await imds_call(context, endpoint, "PUT", "/latest/api/token", std::nullopt);
  if (!response) co_return credentials_error("token request failed: " + response.error().message());
  if (response->status == 200) co_return std::optional<std::string>(response->body);
  const bool v2_unavailable = response->status == 403 || response->status == 404 || response->status == 405;
  if (v2_unavailable && allow_v1) co_return std::optional<std::string>{};
  co_return credentials_error("token request answered " + status_text(*response));
}

}  // namespace

asio::awaitable<CredentialsResult<std::string>> read_token_file(Context context, std::string path) {
  std::string full = expand_home(path, context->home);
  auto read = [full]() -> std::optional<std::string> {
    std::ifstream in(full, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  auto task = run_blocking(context->blocking, std::move(read));
  std::optional<std::string> text = co_await std::move(task);
  if (!text) co_return credentials_error("cannot read token file " + full);
  while (!text->empty() && std::isspace(static_cast<unsigned char>(text->back()))) text->pop_back();
  if (text->empty()) co_return credentials_error("token file " + full + " is empty");
  co_return CredentialsResult<std::string>(boost::system::in_place_value, std::move(*text));
}

asio::awaitable<Outcome> fetch_container(Context context, ContainerEndpoint endpoint) {
  std::optional<Target> target = target_of(endpoint.url);
  if (!target) co_return credentials_error("invalid container credentials URL " + endpoint.url);
  std::optional<std::string> token = endpoint.token;
  if (endpoint.token_file) {
    auto read = co_await read_token_file(context, *endpoint.token_file);
    if (!read) co_return read.error();
    token = std::move(*read);
  }
  if (token) target->request.headers.push_back({"Authorization", *token});
  auto response = co_await metadata_call(context, target->endpoint, std::move(target->request));
  if (!response) co_return credentials_error(endpoint.url + ": " + response.error().message());
  if (response->status != 200)
    co_return credentials_error(endpoint.url + " answered " + status_text(*response));
  co_return parse_container_credentials(response->body);
}

asio::awaitable<Outcome> fetch_imds(Context context, ImdsEndpoint imds) {
  std::optional<Url> endpoint = parse_url(imds.endpoint);
  if (!endpoint) co_return credentials_error("invalid IMDS endpoint " + imds.endpoint);
  auto token = co_await imds_token(context, *endpoint, imds.allow_v1);
  if (!token) co_return token.error();
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  auto roles = co_await imds_call(context, *endpoint, "GET", base, *token);
  if (!roles) co_return credentials_error("role listing failed: " + roles.error().message());
  if (roles->status == 404) co_return credentials_error("no IAM role is attached to this instance");
  if (roles->status != 200) co_return credentials_error("role listing answered " + status_text(*roles));
  std::string role = roles->body.substr(0, roles->body.find_first_of("\r\n"));
  if (role.empty()) co_return credentials_error("no IAM role is attached to this instance");
  auto document = co_await imds_call(context, *endpoint, "GET", base + uri_encode(role, false), *token);
  if (!document) co_return credentials_error("credentials request failed: " + document.error().message());
  if (document->status != 200) {
    co_return credentials_error("credentials of role " + role + " answered HTTP " +
                                std::to_string(document->status));
  }
  co_return parse_imds_credentials(document->body);
}

asio::awaitable<Outcome> fetch_web_identity(Context context, WebIdentityStep step) {
  auto token = co_await read_token_file(context, step.token_file);
  if (!token) co_return token.error();
  std::optional<Url> endpoint = parse_url(context->sts_url);
  if (!endpoint) co_return credentials_error("invalid STS endpoint " + context->sts_url);
  WebIdentityParams params{step.role_arn, step.role_session_name, std::move(*token), std::nullopt};
  HttpRequest request = sts_request(web_identity_form(params));
  request.path = endpoint->base_path + "/";
  // AssumeRoleWithWebIdentity is not signed (spec §5.2).
  RequestFactory factory = [request]() -> asio::awaitable<Result<HttpRequest>> { co_return request; };
  auto response = co_await send_with_retry(context->http, *endpoint, factory, context->sts_retry);
  if (!response) co_return credentials_error("STS " + context->sts_url + ": " + response.error().message());
  auto credentials = parse_sts_credentials(response->status, response->body);
  if (!credentials)
    co_return credentials_error("AssumeRoleWithWebIdentity " + step.role_arn + ": " +
                                credentials.error().message);
  co_return credentials;
}

asio::awaitable<Outcome> assume_role(Context context, Credentials base, AssumeRoleParams params) {
  std::optional<Url> endpoint = parse_url(context->sts_url);
  if (!endpoint) co_return credentials_error("invalid STS endpoint " + context->sts_url);
  HttpRequest request = sts_request(assume_role_form(params));
  request.path = endpoint->base_path + "/";
  // The global endpoint signs as us-east-1 (spec §5); the signature time is the real clock's.
  AwsSigning signing{context->region.empty() ? "us-east-1" : context->region,
                     "sts",
                     static_credentials(std::move(base)),
                     {}};
  auto response = co_await send_signed(context->http, *endpoint, std::move(request), std::move(signing),
                                       context->sts_retry);
  if (!response) co_return credentials_error("STS " + context->sts_url + ": " + response.error().message());
  auto credentials = parse_sts_credentials(response->status, response->body);
  if (!credentials)
    co_return credentials_error("AssumeRole " + params.role_arn + ": " + credentials.error().message);
  co_return credentials;
}

asio::awaitable<Outcome> fetch_process(Context context, std::string command) {
  auto timeout = context->process_timeout;
  auto run = [command, timeout] { return credential_process_blocking(command, timeout); };
  auto task = run_blocking(context->blocking, std::move(run));
  co_return co_await std::move(task);
}

}  // namespace batchgate::aws
