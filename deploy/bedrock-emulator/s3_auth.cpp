#include "s3_auth.hpp"

#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

std::optional<S3Failure> verify_s3_signature(const AuthSettings& auth, TimePoint now, std::string_view method,
                                             std::string_view target, const aws::Headers& headers) {
  if (!auth.verify) return std::nullopt;
  const auto header = aws::find_header(headers, "authorization");
  if (!header) return S3Failure{403, "AccessDenied", "Access Denied"};
  const auto parsed = aws::parse_authorization(*header);
  if (!parsed)
    return S3Failure{400, "AuthorizationHeaderMalformed", "The authorization header is malformed."};
  const auto secret = auth.secrets.find(parsed->access_key_id);
  if (secret == auth.secrets.end() && auth.accept_session_credentials &&
      aws::find_header(headers, "x-amz-security-token")) {
    return std::nullopt;
  }
  if (secret == auth.secrets.end()) {
    return S3Failure{403, "InvalidAccessKeyId",
                     "The AWS Access Key Id you provided does not exist in our records."};
  }
  if (parsed->service != "s3" || parsed->region != auth.region) {
    return S3Failure{400, "AuthorizationHeaderMalformed",
                     "The authorization header is malformed; the credential scope '" + parsed->region + "/" +
                         parsed->service + "' is wrong; expecting '" + auth.region + "/s3'."};
  }
  const auto amz_date = aws::find_header(headers, "x-amz-date");
  const auto time = amz_date ? parse_amz_date(*amz_date) : std::nullopt;
  if (!time || !amz_date->starts_with(parsed->date)) {
    return S3Failure{403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"};
  }
  const auto skew = now - *time;
  if (skew > auth.max_skew || -skew > auth.max_skew) {
    return S3Failure{403, "RequestTimeTooSkewed",
                     "The difference between the request time and the current time is too large."};
  }
  // The payload hash is the one the client declared; the body itself is not hashed (README.md "S3").
  if (!aws::find_header(headers, "x-amz-content-sha256")) {
    return S3Failure{400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"};
  }
  const aws::SigningRequest signing = aws::received_signing_request(method, target, headers, {});
  const std::string expected = aws::signature_for_received(signing, *parsed, *amz_date, secret->second);
  if (!aws::signatures_equal(expected, parsed->signature)) {
    return S3Failure{403, "SignatureDoesNotMatch",
                     "The request signature we calculated does not match the signature you provided. Check "
                     "your key and signing method."};
  }
  return std::nullopt;
}

}  // namespace batchgate::bedrock_emulator
