#pragma once

// The XML documents of the in-memory S3 (spec/aws-sigv4-s3.md §3.2, §3.6; element names from botocore's
// s3 service model). Rendered by hand, since listings are on the hot path; the one request document,
// CompleteMultipartUpload, is read with pugixml.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3_store.hpp"

namespace batchgate::bedrock_emulator {

// <Error> with Code, Message, the request's context elements (Key, BucketName, UploadId) and RequestId.
std::string error_document(const S3Failure& failure,
                           const std::vector<std::pair<std::string, std::string>>& context,
                           std::string_view request_id);

struct ListObjectsView {
  std::string_view bucket;
  const ListObjectsQuery& query;
  std::string_view start_after;
  std::optional<std::string> continuation_token;       // as received
  std::optional<std::string> next_continuation_token;  // when truncated
  bool url_encoding = false;                           // encoding-type=url: keys and prefix percent-encoded
  const ObjectPage& page;
};
std::string list_objects_document(const ListObjectsView& view);

struct ListUploadsView {
  std::string_view bucket;
  const ListUploadsQuery& query;
  bool url_encoding = false;
  const UploadPage& page;
};
std::string list_uploads_document(const ListUploadsView& view);

std::string initiate_upload_document(std::string_view bucket, std::string_view key,
                                     std::string_view upload_id);
std::string complete_upload_document(std::string_view location, std::string_view bucket, std::string_view key,
                                     std::string_view etag);

// The <Part> list of a CompleteMultipartUpload body in document order; nullopt when it is not that document.
std::optional<std::vector<PartRef>> parse_complete_upload(std::string_view body);

}  // namespace batchgate::bedrock_emulator
