// The S3 response readers (server/aws/s3_protocol.hpp, aws_error.hpp) on one response body: every reader
// runs on every input, so a corpus file is simply a body as S3 or a stand-in sends it (ListBucketResult,
// InitiateMultipartUploadResult, CompleteMultipartUploadResult, Error, a JSON error) or a Range header value.
// Properties: a 200 whose root is <Error> never completes an upload, and a parsed Range survives
// resume_range.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "server/aws/s3_protocol.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace batchgate::aws {
namespace {

void check_range(std::string_view header) {
  const auto range = parse_byte_range(header);
  if (!range) return;
  const auto again = parse_byte_range(resume_range(range, 0));
  FUZZ_CHECK(again && again->first == range->first && again->last == range->last);
  // Resuming after some bytes: the same end, a later start (as long as the sum fits).
  const std::uint64_t delivered = range->last ? (*range->last - range->first) / 2 : 1000;
  if (range->first > std::numeric_limits<std::uint64_t>::max() - delivered) return;
  const auto resumed = parse_byte_range(resume_range(range, delivered));
  FUZZ_CHECK(resumed && resumed->first == range->first + delivered && resumed->last == range->last);
}

void read_everything(std::string_view body) {
  parse_list_objects_v2(body);
  parse_initiate_multipart_upload(body);
  const auto etag = parse_complete_multipart_upload(body);
  if (is_error_document(body)) FUZZ_CHECK(!etag);

  // A 200 reaches the error reader only with an <Error> root (CompleteMultipartUpload); HEAD errors have no
  // body, so 404 exercises the status-derived code when the body names none.
  for (int status : {200, 404}) {
    const S3Error error = s3_error_from_response(HttpResponse{status, {}, std::string(body)});
    FUZZ_CHECK(error.http_status == status);
    FUZZ_CHECK(!error.code.empty());
    FUZZ_CHECK(!error.to_string().empty());
  }

  check_range(body);
  if (const auto url = parse_url(body)) FUZZ_CHECK(!url->host.empty() && url->port != 0);
}

}  // namespace
}  // namespace batchgate::aws

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  batchgate::aws::read_everything(batchgate::fuzz::as_text(data, size));
  return 0;
}
