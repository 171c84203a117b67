#pragma once

// STS query protocol, the pure part (spec/aws-sigv4-s3.md §5): the form bodies of AssumeRole and
// AssumeRoleWithWebIdentity, the endpoint, and the XML answers. No Asio.

#include <optional>
#include <string>
#include <string_view>

#include "server/aws/credentials_documents.hpp"
#include "server/aws/http_types.hpp"

namespace batchgate::aws {

inline constexpr std::string_view kDefaultRoleSessionName = "batchgate";

struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name{kDefaultRoleSessionName};
  std::optional<std::string> external_id;
  std::optional<int> duration_seconds;  // 900–43200; STS defaults to 3600
};

struct WebIdentityParams {
  std::string role_arn;
  std::string role_session_name{kDefaultRoleSessionName};
  std::string web_identity_token;  // the JWT, read from the token file on every refresh
  std::optional<int> duration_seconds;
};

// "Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…[&ExternalId=…][&DurationSeconds=…]",
// values UriEncoded (spec §5.1).
std::string assume_role_form(const AssumeRoleParams& params);
// "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&RoleSessionName=…&WebIdentityToken=…"
std::string web_identity_form(const WebIdentityParams& params);

// The POST / request carrying `form` (Content-Type application/x-www-form-urlencoded; charset=utf-8).
HttpRequest sts_request(std::string form);

// The STS endpoint: `override_url` when non-empty, else https://sts.{region}.amazonaws.com (regional, as
// botocore does now), or the global https://sts.amazonaws.com when no region is known.
std::string sts_endpoint(std::string_view region, std::string_view override_url);

// Credentials from an AssumeRole / AssumeRoleWithWebIdentity response body (any *Result/Credentials).
// A non-2xx `status` or an <ErrorResponse> body gives an error with STS's code and message.
CredentialsResult<TimedCredentials> parse_sts_credentials(int status, std::string_view xml);

}  // namespace batchgate::aws
