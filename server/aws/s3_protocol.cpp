#include "server/aws/s3_protocol.hpp"

#include <charconv>
#include <cstdio>
#include <pugixml.hpp>

#include "server/aws/aws_error.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::aws {
namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

bool load(pugi::xml_document& document, std::string_view body) {
  return static_cast<bool>(document.load_buffer(body.data(), body.size()));
}

std::uint64_t to_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

std::string S3Error::to_string() const {
  if (http_status == 0) return "S3 request failed: " + transport;
  std::string out = "S3 error " + std::to_string(http_status);
  if (!code.empty()) out += " " + code;
  if (!message.empty()) out += ": " + message;
  return out;
}

std::optional<S3Target> s3_target(const S3Addressing& addressing, std::string_view bucket,
                                  std::string_view key) {
  std::string encoded_key = uri_encode(key, true);
  if (addressing.endpoint_url) {
    auto url = parse_url(*addressing.endpoint_url);
    if (!url) return std::nullopt;
    std::string path = url->base_path + "/" + std::string(bucket);
    if (!key.empty()) path += "/" + encoded_key;
    return S3Target{*url, std::move(path)};
  }
  const bool path_style = addressing.force_path_style || bucket.find('.') != std::string_view::npos;
  std::string regional = "s3." + addressing.region + ".amazonaws.com";
  if (path_style) {
    auto url = parse_url("https://" + regional);
    if (!url) return std::nullopt;
    std::string path = "/" + std::string(bucket);
    if (!key.empty()) path += "/" + encoded_key;
    return S3Target{*url, std::move(path)};
  }
  auto url = parse_url("https://" + std::string(bucket) + "." + regional);
  if (!url) return std::nullopt;
  return S3Target{*url, "/" + encoded_key};
}

std::string build_query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += uri_encode(name, false);
    if (value.empty() && (name == "uploads" || name == "delete")) continue;
    out += '=';
    out += uri_encode(value, false);
  }
  return out;
}

std::string url_decode_plus(std::string_view value) {
  std::string spaced(value);
  for (char& c : spaced) {
    if (c == '+') c = ' ';
  }
  return uri_decode(spaced);
}

bool is_error_document(std::string_view body) {
  pugi::xml_document document;
  if (!load(document, body)) return false;
  return std::string_view(document.document_element().name()) == "Error";
}

S3Error s3_error_from_response(const HttpResponse& response) {
  AwsError parsed = parse_aws_error(response);
  S3Error error{response.status, parsed.code, parsed.message, {}};
  if (!error.code.empty()) return error;
  switch (response.status) {
    case 404:
      error.code = "NoSuchKey";
      break;
    case 403:
      error.code = "AccessDenied";
      break;
    case 412:
      error.code = "PreconditionFailed";
      break;
    default:
      error.code = "HTTP " + std::to_string(response.status);
      break;
  }
  return error;
}

std::optional<ByteRange> parse_byte_range(std::string_view header) {
  constexpr std::string_view kPrefix = "bytes=";
  if (header.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  header.remove_prefix(kPrefix.size());
  std::size_t dash = header.find('-');
  if (dash == std::string_view::npos || dash == 0 || header.find(',') != std::string_view::npos)
    return std::nullopt;
  auto number = [](std::string_view text) -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
  };
  auto first = number(header.substr(0, dash));
  if (!first) return std::nullopt;
  ByteRange range{*first, std::nullopt};
  std::string_view last = header.substr(dash + 1);
  if (last.empty()) return range;
  range.last = number(last);
  if (!range.last || *range.last < range.first) return std::nullopt;
  return range;
}

std::string resume_range(const std::optional<ByteRange>& original, std::uint64_t delivered) {
  std::uint64_t first = (original ? original->first : 0) + delivered;
  std::string out = "bytes=" + std::to_string(first) + "-";
  if (original && original->last) out += std::to_string(*original->last);
  return out;
}

std::optional<std::string> parse_initiate_multipart_upload(std::string_view body) {
  pugi::xml_document document;
  if (!load(document, body)) return std::nullopt;
  // Like botocore, the root element's name is not checked (stand-ins vary).
  pugi::xml_node root = document.document_element();
  std::string upload_id = root.child_value("UploadId");
  if (upload_id.empty()) return std::nullopt;
  return upload_id;
}

std::string complete_multipart_upload_body(const std::vector<CompletedPart>& parts) {
  pugi::xml_document document;
  pugi::xml_node root = document.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = std::string(kS3Namespace).c_str();
  for (const CompletedPart& part : parts) {
    pugi::xml_node node = root.append_child("Part");
    node.append_child("PartNumber").text() = part.part_number;
    node.append_child("ETag").text() = part.etag.c_str();
  }
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
  } writer;
  document.save(writer, "", pugi::format_raw | pugi::format_no_declaration);
  return writer.out;
}

std::optional<std::string> parse_complete_multipart_upload(std::string_view body) {
  pugi::xml_document document;
  if (!load(document, body)) return std::nullopt;
  // Like botocore, the root element's name is not checked: moto answers <CompleteMultipartUploadResponse>.
  pugi::xml_node root = document.document_element();
  if (!root || std::string_view(root.name()) == "Error" || !root.child("ETag")) return std::nullopt;
  return std::string(root.child_value("ETag"));
}

std::optional<ListPage> parse_list_objects_v2(std::string_view body) {
  pugi::xml_document document;
  if (!load(document, body)) return std::nullopt;
  pugi::xml_node root = document.child("ListBucketResult");
  if (!root) return std::nullopt;
  // With encoding-type=url, Key/Prefix come back URL-encoded (spec §3.2); botocore decodes them.
  const bool encoded = std::string_view(root.child_value("EncodingType")) == "url";
  auto decode = [encoded](const char* text) { return encoded ? url_decode_plus(text) : std::string(text); };

  ListPage page;
  page.is_truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  if (pugi::xml_node token = root.child("NextContinuationToken"))
    page.next_continuation_token = token.child_value();
  for (pugi::xml_node item : root.children("Contents")) {
    page.objects.push_back(ListedObject{decode(item.child_value("Key")), to_u64(item.child_value("Size")),
                                        item.child_value("ETag"), item.child_value("LastModified")});
  }
  for (pugi::xml_node prefix : root.children("CommonPrefixes")) {
    page.common_prefixes.push_back(decode(prefix.child_value("Prefix")));
  }
  return page;
}

std::optional<UploadsPage> parse_list_multipart_uploads(std::string_view body) {
  pugi::xml_document document;
  if (!load(document, body)) return std::nullopt;
  pugi::xml_node root = document.child("ListMultipartUploadsResult");
  if (!root) return std::nullopt;
  const bool encoded = std::string_view(root.child_value("EncodingType")) == "url";
  auto decode = [encoded](const char* text) { return encoded ? url_decode_plus(text) : std::string(text); };
  UploadsPage page;
  page.is_truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  page.next_key_marker = decode(root.child_value("NextKeyMarker"));
  page.next_upload_id_marker = root.child_value("NextUploadIdMarker");
  for (pugi::xml_node item : root.children("Upload")) {
    page.uploads.push_back(
        OpenUpload{decode(item.child_value("Key")), item.child_value("UploadId"), item.child_value("Initiated")});
  }
  return page;
}

std::optional<std::int64_t> parse_iso8601_utc(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || std::sscanf(std::string(text.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year,
                                       &month, &day, &hour, &minute, &second) != 6)
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
  const int y = year - (month <= 2);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = unsigned((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t(era) * 146097 + std::int64_t(doe) - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace batchgate::aws
