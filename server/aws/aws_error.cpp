#include "server/aws/aws_error.hpp"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

namespace batchgate::aws {
namespace {

std::string json_string(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

void fill_from_json(std::string_view body, AwsError& error) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return;
  if (error.code.empty()) error.code = json_string(parsed, "code");
  if (error.code.empty()) error.code = json_string(parsed, "Code");
  if (error.code.empty()) error.code = json_string(parsed, "__type");
  error.message = json_string(parsed, "message");
  if (error.message.empty()) error.message = json_string(parsed, "Message");
}

void fill_from_xml(std::string_view body, AwsError& error) {
  pugi::xml_document document;
  if (!document.load_buffer(body.data(), body.size())) return;
  pugi::xml_node node = document.document_element();
  // STS wraps the error: <ErrorResponse><Error>…</Error></ErrorResponse> (spec/aws-sigv4-s3.md §5.1).
  if (std::string_view(node.name()) == "ErrorResponse") node = node.child("Error");
  if (std::string_view(node.name()) != "Error") return;
  if (error.code.empty()) error.code = node.child_value("Code");
  error.message = node.child_value("Message");
}

}  // namespace

std::string normalize_error_code(std::string_view raw) {
  std::size_t colon = raw.find(':');
  if (colon != std::string_view::npos) raw = raw.substr(0, colon);
  std::size_t hash = raw.rfind('#');
  if (hash != std::string_view::npos) raw = raw.substr(hash + 1);
  return std::string(raw);
}

AwsError parse_aws_error(const HttpResponse& response) {
  AwsError error;
  error.http_status = response.status;
  if (auto header = response.header("x-amzn-ErrorType")) error.code = std::string(*header);
  std::string_view body = response.body;
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) {
    if (body[first] == '{') fill_from_json(body, error);
    if (body[first] == '<') fill_from_xml(body, error);
  }
  error.code = normalize_error_code(error.code);
  return error;
}

}  // namespace batchgate::aws
