#include "translators/titan_embeddings.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

#include "translators/base64.hpp"
#include "translators/chat_request.hpp"
#include "translators/chat_response.hpp"
#include "translators/json_writer.hpp"

namespace batchgate::translators {
namespace {

using chat::make_error;

constexpr std::array<std::string_view, 3> kHandledKeys = {"input", "dimensions", "encoding_format"};
constexpr std::size_t kMaxInputs = 2048;  // OpenAI's limit per request (spec/openai-batch.md §7)
constexpr int kV1Dimensions = 1536;

std::string_view label(TitanEmbeddings::Version version) {
  return version == TitanEmbeddings::Version::kV2 ? "Titan Text Embeddings V2" : "Titan Text Embeddings V1";
}

Expected<std::vector<std::string_view>> read_inputs(JsonValue body) {
  std::optional<JsonValue> input = find_set(body, "input");
  if (!input) {
    return make_error("missing_required_parameter",
                      "body.input is required: a string or an array of strings.", "body.input");
  }
  std::vector<std::string_view> texts;
  const std::size_t count = array_size(*input);
  if (input->is_string()) {
    texts.push_back(as_string(*input));
  } else if (input->is_array() && count > 0 && count <= kMaxInputs) {
    texts.reserve(count);
    std::size_t k = 0;
    for (JsonValue item : simdjson::dom::array(*input)) {
      if (item.is_number() || item.is_array()) {
        return make_error(
            "unsupported_value",
            "body.input holds token ids; Titan Text Embeddings on Bedrock embeds text only. Send the "
            "text as a string or an array of strings.",
            "body.input");
      }
      if (!item.is_string()) {
        std::string param = "body.input[" + std::to_string(k) + "]";
        return make_error("invalid_type", param + " must be a string, got " + describe(item) + ".", param);
      }
      texts.push_back(as_string(item));
      ++k;
    }
  } else {
    return make_error("invalid_value", "body.input must be a string or an array of 1 to 2048 strings.",
                      "body.input");
  }
  for (std::size_t k = 0; k < texts.size(); ++k) {
    if (!texts[k].empty()) continue;
    std::string param = input->is_string() ? "body.input" : "body.input[" + std::to_string(k) + "]";
    return make_error("invalid_value", param + " must not be empty.", param);
  }
  return texts;
}

// dimensions: V2 takes 256, 512 or 1024; V1 has a fixed size (spec/bedrock-batch.md §10.5).
Expected<std::optional<int>> read_dimensions(JsonValue body, TitanEmbeddings::Version version) {
  std::optional<JsonValue> value = find_set(body, "dimensions");
  if (!value) return std::optional<int>();
  std::int64_t dimensions = 0;
  if (value->get_int64().get(dimensions) != simdjson::SUCCESS) dimensions = 0;
  if (version == TitanEmbeddings::Version::kV1) {
    if (dimensions == kV1Dimensions) return std::optional<int>();
    return make_error(
        "unsupported_value",
        "body.dimensions: Titan Text Embeddings V1 always returns 1536 dimensions; remove dimensions, "
        "or use amazon.titan-embed-text-v2:0 for 256, 512 or 1024.",
        "body.dimensions");
  }
  if (dimensions != 256 && dimensions != 512 && dimensions != 1024) {
    return make_error("invalid_value",
                      "body.dimensions = " + describe(*value) +
                          " is not supported by Titan Text Embeddings V2: allowed 256, 512 or 1024.",
                      "body.dimensions");
  }
  return std::optional<int>(static_cast<int>(dimensions));
}

Expected<bool> read_base64(JsonValue body) {
  std::optional<JsonValue> format = find_set(body, "encoding_format");
  if (!format || (format->is_string() && as_string(*format) == "float")) return false;
  if (format->is_string() && as_string(*format) == "base64") return true;
  return make_error("invalid_value",
                    "body.encoding_format must be \"float\" or \"base64\", got " + describe(*format) + ".",
                    "body.encoding_format");
}

// The vector of one record: `embedding`, or `embeddingsByType.float` (spec/bedrock-batch.md §10.5).
std::optional<JsonValue> find_embedding(JsonValue output) {
  std::optional<JsonValue> embedding = translators::find_set(output, "embedding");
  if (embedding && embedding->is_array()) return embedding;
  std::optional<JsonValue> by_type = translators::find_set(output, "embeddingsByType");
  embedding = by_type ? translators::find_set(*by_type, "float") : std::nullopt;
  return embedding && embedding->is_array() ? embedding : std::nullopt;
}

}  // namespace

std::string encode_embedding_base64(JsonValue values) {
  simdjson::dom::array items;
  if (values.get_array().get(items) != simdjson::SUCCESS) return {};
  std::vector<unsigned char> bytes;
  bytes.reserve(items.size() * 4);
  for (JsonValue value : items) {
    auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(as_double(value)));
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<unsigned char>(bits >> shift));
  }
  return base64_encode(bytes);
}

RequestTranslation TitanEmbeddings::to_bedrock(JsonValue body, const RequestOptions& options) const {
  RequestTranslation translation;
  auto fail = [&translation](LineError error) {
    translation.error = std::move(error);
    return std::move(translation);
  };
  if (!body.is_object()) return fail(make_error("invalid_type", "body must be a JSON object.", "body"));
  if (auto error = chat::check_body_keys(body, kHandledKeys, label(version_), options)) return fail(*error);
  Expected<std::vector<std::string_view>> texts = read_inputs(body);
  if (!texts) return fail(texts.error());
  Expected<std::optional<int>> dimensions = read_dimensions(body, version_);
  if (!dimensions) return fail(dimensions.error());
  Expected<bool> base64 = read_base64(body);
  if (!base64) return fail(base64.error());

  translation.hints.base64_embeddings = *base64;
  translation.model_inputs.reserve(texts->size());
  for (std::string_view text : *texts) {
    std::string input;
    JsonWriter out(input);
    out.begin_object().field("inputText", text);
    if (*dimensions) out.field("dimensions", **dimensions);
    out.end_object();
    translation.model_inputs.push_back(std::move(input));
  }
  return translation;
}

ResponseTranslation TitanEmbeddings::to_openai(std::span<const JsonValue> outputs,
                                               const ResponseContext& context) const {
  ResponseTranslation translation;
  if (outputs.empty()) {
    translation.error = chat::invalid_output(label(version_), "no records for the request");
    return translation;
  }
  std::string& body = translation.body;
  JsonWriter w(body);
  w.begin_object().field("object", "list").key("data").begin_array();
  std::int64_t tokens = 0;
  for (std::size_t index = 0; index < outputs.size(); ++index) {
    std::optional<JsonValue> embedding = find_embedding(outputs[index]);
    if (!embedding) {
      translation.body.clear();
      translation.error =
          chat::invalid_output(label(version_), "record " + std::to_string(index) + " has no embedding");
      return translation;
    }
    w.begin_object().field("object", "embedding").field("index", std::int64_t(index)).key("embedding");
    if (context.hints.base64_embeddings) {
      w.string(encode_embedding_base64(*embedding));
    } else {
      w.value(*embedding);
    }
    w.end_object();
    tokens += chat::read_count(outputs[index], "inputTextTokenCount");
  }
  w.end_array().field("model", context.model).key("usage").begin_object();
  w.field("prompt_tokens", tokens).field("total_tokens", tokens).end_object().end_object();
  translation.usage.input_tokens = tokens;
  return translation;
}

}  // namespace batchgate::translators
