#include "translators/batch_line.hpp"

#include <utility>

#include "translators/chat_request.hpp"

namespace batchgate::translators {

using chat::describe;
using chat::make_error;
using nlohmann::json;

Expected<BatchLine> parse_batch_line(std::string_view text) {
  json line = json::parse(text, nullptr, false);
  if (line.is_discarded() || !line.is_object()) {
    return make_error("invalid_json_line", "This line is not parseable as valid JSON.", "");
  }
  auto custom_id = line.find("custom_id");
  if (custom_id == line.end() || !custom_id->is_string() ||
      custom_id->get_ref<const std::string&>().empty()) {
    return make_error("invalid_custom_id", "custom_id must be a non-empty string, unique within the file.",
                      "custom_id");
  }
  auto method = line.find("method");
  if (method == line.end() || *method != "POST") {
    return make_error("invalid_method", "method must be \"POST\".", "method");
  }
  auto url = line.find("url");
  std::optional<Endpoint> endpoint = url != line.end() && url->is_string()
                                         ? parse_endpoint(url->get_ref<const std::string&>())
                                         : std::nullopt;
  if (!endpoint) {
    return make_error("invalid_url",
                      "url " + (url != line.end() ? describe(*url) : std::string("(missing)")) +
                          " is not supported; use \"/v1/chat/completions\" or \"/v1/embeddings\".",
                      "url");
  }
  auto body = line.find("body");
  if (body == line.end() || !body->is_object()) {
    return make_error(
        "invalid_body",
        "body must be a JSON object with the request for " + std::string(endpoint_url(*endpoint)) + ".",
        "body");
  }
  auto model = body->find("model");
  if (model == body->end() || !model->is_string() || model->get_ref<const std::string&>().empty()) {
    return make_error("missing_required_parameter",
                      "body.model is required: the name of a model of this gateway.", "body.model");
  }
  BatchLine result;
  result.custom_id = std::move(custom_id->get_ref<std::string&>());
  result.endpoint = *endpoint;
  result.model = model->get<std::string>();
  result.body = std::move(*body);
  return result;
}

std::string bedrock_record_line(std::string_view record_id, const json& model_input) {
  std::string line = R"({"recordId":)";
  line += json(record_id).dump();
  line += R"(,"modelInput":)";
  line += model_input.dump();
  line += '}';
  return line;
}

}  // namespace batchgate::translators
