#pragma once

// Extracting the AWS error code and message from an error response, for every protocol we speak:
// restJson1 (Bedrock), REST-XML (S3) and query-XML (STS). Pure, no Asio.

#include <string>

#include "server/aws/http_types.hpp"

namespace batchgate::aws {

struct AwsError {
  int http_status = 0;
  std::string code;     // "NoSuchKey", "ValidationException", ... ; "" when the response carried none
  std::string message;  // "" when the response carried none
};

// Code: header x-amzn-ErrorType, else JSON `code`/`Code`/`__type`, else XML <Error><Code> (S3 root or STS
// <ErrorResponse><Error>); cut at the first ':' and after the last '#' (spec/bedrock-batch.md §7).
// Message: JSON `message`/`Message` or XML <Message>. Bodiless errors (HEAD) get an empty code.
AwsError parse_aws_error(const HttpResponse& response);

// Applies the botocore trimming rules to a raw code ("a#ValidationException:http://..." →
// "ValidationException").
std::string normalize_error_code(std::string_view raw);

}  // namespace batchgate::aws
