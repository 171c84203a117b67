#include "s3_xml.hpp"

#include <charconv>
#include <pugixml.hpp>

#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

namespace {

constexpr std::string_view kDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";
constexpr std::string_view kNamespace = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";
// ListMultipartUploads names an initiator and owner; the emulator has one account.
constexpr std::string_view kOwner = "<ID>bedrock-emulator</ID><DisplayName>bedrock-emulator</DisplayName>";

void escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
}

void element(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  escaped(out, text);
  out += "</";
  out += name;
  out += '>';
}

// Keys and prefixes under encoding-type=url: UriEncoded with '/' kept; botocore unquotes them (spec §3.2).
std::string maybe_encoded(std::string_view text, bool url_encoding) {
  return url_encoding ? aws::uri_encode(text, true) : std::string(text);
}

std::string_view truth(bool value) {
  return value ? "true" : "false";
}

}  // namespace

std::string error_document(const S3Failure& failure,
                           const std::vector<std::pair<std::string, std::string>>& context,
                           std::string_view request_id) {
  std::string out(kDeclaration);
  out += "\n<Error>";
  element(out, "Code", failure.code);
  element(out, "Message", failure.message);
  for (const auto& [name, value] : context) element(out, name, value);
  element(out, "RequestId", request_id);
  element(out, "HostId", request_id);
  out += "</Error>";
  return out;
}

std::string list_objects_document(const ListObjectsView& view) {
  const bool url = view.url_encoding;
  std::string out(kDeclaration);
  out += "\n<ListBucketResult";
  out += kNamespace;
  out += '>';
  element(out, "Name", view.bucket);
  element(out, "Prefix", maybe_encoded(view.query.prefix, url));
  if (!view.start_after.empty()) element(out, "StartAfter", maybe_encoded(view.start_after, url));
  if (view.continuation_token) element(out, "ContinuationToken", *view.continuation_token);
  element(out, "KeyCount", std::to_string(view.page.objects.size()));
  element(out, "MaxKeys", std::to_string(view.query.max_keys));
  if (url) element(out, "EncodingType", "url");
  element(out, "IsTruncated", truth(view.page.truncated));
  if (view.next_continuation_token) element(out, "NextContinuationToken", *view.next_continuation_token);
  for (const auto& [key, object] : view.page.objects) {
    out += "<Contents>";
    element(out, "Key", maybe_encoded(key, url));
    element(out, "LastModified", format_iso8601(object->last_modified));
    element(out, "ETag", object->etag);
    element(out, "Size", std::to_string(object->size));
    element(out, "StorageClass", "STANDARD");
    out += "</Contents>";
  }
  out += "</ListBucketResult>";
  return out;
}

std::string list_uploads_document(const ListUploadsView& view) {
  const bool url = view.url_encoding;
  std::string out(kDeclaration);
  out += "\n<ListMultipartUploadsResult";
  out += kNamespace;
  out += '>';
  element(out, "Bucket", view.bucket);
  element(out, "KeyMarker", maybe_encoded(view.query.key_marker, url));
  element(out, "UploadIdMarker", view.query.upload_id_marker);
  if (view.page.truncated && !view.page.uploads.empty()) {
    element(out, "NextKeyMarker", maybe_encoded(view.page.uploads.back().key, url));
    element(out, "NextUploadIdMarker", view.page.uploads.back().upload_id);
  }
  if (!view.query.prefix.empty()) element(out, "Prefix", maybe_encoded(view.query.prefix, url));
  element(out, "MaxUploads", std::to_string(view.query.max_uploads));
  if (url) element(out, "EncodingType", "url");
  element(out, "IsTruncated", truth(view.page.truncated));
  for (const auto& upload : view.page.uploads) {
    out += "<Upload>";
    element(out, "Key", maybe_encoded(upload.key, url));
    element(out, "UploadId", upload.upload_id);
    out += "<Initiator>";
    out += kOwner;
    out += "</Initiator><Owner>";
    out += kOwner;
    out += "</Owner>";
    element(out, "StorageClass", "STANDARD");
    element(out, "Initiated", format_iso8601(upload.initiated));
    out += "</Upload>";
  }
  out += "</ListMultipartUploadsResult>";
  return out;
}

std::string initiate_upload_document(std::string_view bucket, std::string_view key,
                                     std::string_view upload_id) {
  std::string out(kDeclaration);
  out += "\n<InitiateMultipartUploadResult";
  out += kNamespace;
  out += '>';
  element(out, "Bucket", bucket);
  element(out, "Key", key);
  element(out, "UploadId", upload_id);
  out += "</InitiateMultipartUploadResult>";
  return out;
}

std::string complete_upload_document(std::string_view location, std::string_view bucket, std::string_view key,
                                     std::string_view etag) {
  std::string out(kDeclaration);
  out += "\n<CompleteMultipartUploadResult";
  out += kNamespace;
  out += '>';
  element(out, "Location", location);
  element(out, "Bucket", bucket);
  element(out, "Key", key);
  element(out, "ETag", etag);
  out += "</CompleteMultipartUploadResult>";
  return out;
}

std::optional<std::vector<PartRef>> parse_complete_upload(std::string_view body) {
  pugi::xml_document document;
  if (!document.load_buffer(body.data(), body.size())) return std::nullopt;
  const pugi::xml_node root = document.child("CompleteMultipartUpload");
  if (!root) return std::nullopt;
  std::vector<PartRef> parts;
  for (const pugi::xml_node part : root.children("Part")) {
    const std::string_view number = part.child_value("PartNumber");
    PartRef ref;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), ref.part_number);
    if (error != std::errc{} || end != number.data() + number.size()) return std::nullopt;
    ref.etag = part.child_value("ETag");
    parts.push_back(std::move(ref));
  }
  return parts;
}

}  // namespace batchgate::bedrock_emulator
