#include "translators/batch_line.hpp"

#include <utility>

#include "translators/chat_request.hpp"
#include "translators/json_writer.hpp"

namespace batchgate::translators {

using chat::make_error;

Expected<BatchLine> parse_batch_line(simdjson::dom::parser& parser, std::string_view text) {
  JsonValue line;
  if (parser.parse(text.data(), text.size()).get(line) != simdjson::SUCCESS || !line.is_object()) {
    return make_error("invalid_json_line", "This line is not parseable as valid JSON.", "");
  }
  std::optional<JsonValue> custom_id = find_set(line, "custom_id");
  if (!custom_id || !custom_id->is_string() || as_string(*custom_id).empty()) {
    return make_error("invalid_custom_id", "custom_id must be a non-empty string, unique within the file.",
                      "custom_id");
  }
  std::optional<JsonValue> method = find_set(line, "method");
  if (!method || !method->is_string() || as_string(*method) != "POST") {
    return make_error("invalid_method", "method must be \"POST\".", "method");
  }
  std::optional<JsonValue> url = find_set(line, "url");
  std::optional<Endpoint> endpoint = url && url->is_string() ? parse_endpoint(as_string(*url)) : std::nullopt;
  if (!endpoint) {
    return make_error("invalid_url",
                      "url " + (url ? describe(*url) : std::string("(missing)")) +
                          " is not supported; use \"/v1/chat/completions\" or \"/v1/embeddings\".",
                      "url");
  }
  std::optional<JsonValue> body = find_set(line, "body");
  if (!body || !body->is_object()) {
    return make_error(
        "invalid_body",
        "body must be a JSON object with the request for " + std::string(endpoint_url(*endpoint)) + ".",
        "body");
  }
  std::optional<JsonValue> model = find_set(*body, "model");
  if (!model || !model->is_string() || as_string(*model).empty()) {
    return make_error("missing_required_parameter",
                      "body.model is required: the name of a model of this gateway.", "body.model");
  }
  return BatchLine{as_string(*custom_id), *endpoint, as_string(*model), *body};
}

void append_bedrock_record_line(std::string& out, std::string_view record_id, std::string_view model_input) {
  out += R"({"recordId":)";
  append_json_string(out, record_id);
  out += R"(,"modelInput":)";
  out += model_input;
  out += '}';
}

}  // namespace batchgate::translators
