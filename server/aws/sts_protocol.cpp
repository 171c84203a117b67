#include "server/aws/sts_protocol.hpp"

#include <pugixml.hpp>

#include "server/aws/sigv4.hpp"

namespace batchgate::aws {
namespace {

void add_param(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) form += '&';
  form += name;
  form += '=';
  form += uri_encode(value, false);
}

// The element named `name` anywhere below `node` (STS nests Credentials in <{Action}Result>).
pugi::xml_node find_descendant(pugi::xml_node node, std::string_view name) {
  return node.find_node([name](pugi::xml_node n) { return std::string_view(n.name()) == name; });
}

}  // namespace

std::string assume_role_form(const AssumeRoleParams& params) {
  std::string form;
  add_param(form, "Action", "AssumeRole");
  add_param(form, "Version", "2011-06-15");
  add_param(form, "RoleArn", params.role_arn);
  add_param(form, "RoleSessionName", params.role_session_name);
  if (params.external_id) add_param(form, "ExternalId", *params.external_id);
  if (params.duration_seconds) add_param(form, "DurationSeconds", std::to_string(*params.duration_seconds));
  return form;
}

std::string web_identity_form(const WebIdentityParams& params) {
  std::string form;
  add_param(form, "Action", "AssumeRoleWithWebIdentity");
  add_param(form, "Version", "2011-06-15");
  add_param(form, "RoleArn", params.role_arn);
  add_param(form, "RoleSessionName", params.role_session_name);
  add_param(form, "WebIdentityToken", params.web_identity_token);
  if (params.duration_seconds) add_param(form, "DurationSeconds", std::to_string(*params.duration_seconds));
  return form;
}

HttpRequest sts_request(std::string form) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  request.body = std::move(form);
  return request;
}

std::string sts_endpoint(std::string_view region, std::string_view override_url) {
  if (!override_url.empty()) return std::string(override_url);
  if (region.empty()) return "https://sts.amazonaws.com";
  return "https://sts." + std::string(region) + ".amazonaws.com";
}

CredentialsResult<TimedCredentials> parse_sts_credentials(int status, std::string_view xml) {
  pugi::xml_document document;
  const bool parsed = static_cast<bool>(document.load_buffer(xml.data(), xml.size()));
  pugi::xml_node error = parsed ? find_descendant(document, "Error") : pugi::xml_node{};
  if (status < 200 || status >= 300 || error) {
    std::string code = error ? error.child_value("Code") : "";
    std::string message = error ? error.child_value("Message") : "";
    std::string text = "STS answered HTTP " + std::to_string(status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    return credentials_error(std::move(text));
  }
  if (!parsed) return credentials_error("STS response is not XML");
  pugi::xml_node credentials = find_descendant(document, "Credentials");
  if (!credentials) return credentials_error("STS response has no <Credentials> element");
  TimedCredentials out;
  out.credentials.access_key_id = credentials.child_value("AccessKeyId");
  out.credentials.secret_access_key = credentials.child_value("SecretAccessKey");
  std::string token = credentials.child_value("SessionToken");
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty() || token.empty()) {
    return credentials_error("STS <Credentials> lacks AccessKeyId, SecretAccessKey or SessionToken");
  }
  out.credentials.session_token = std::move(token);
  std::string expiration = credentials.child_value("Expiration");
  out.expiration = parse_iso8601(expiration);
  if (!out.expiration) return credentials_error("STS <Credentials> has no valid Expiration: " + expiration);
  return out;
}

}  // namespace batchgate::aws
