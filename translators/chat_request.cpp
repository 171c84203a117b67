#include "translators/chat_request.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace batchgate::translators::chat {
namespace {

constexpr std::string_view kDropHint =
    "Remove it, or enable drop_params for this model to drop unsupported parameters.";

// OpenAI-only keys that change nothing a model produces in a batch (spec/openai-batch.md §6): they are
// accepted and never forwarded, because Claude rejects unknown fields (spec/bedrock-batch.md §10.2).
constexpr std::array<std::string_view, 11> kHarmlessKeys = {"model",
                                                            "stream",
                                                            "stream_options",
                                                            "user",
                                                            "metadata",
                                                            "store",
                                                            "seed",
                                                            "service_tier",
                                                            "parallel_tool_calls",
                                                            "prompt_cache_key",
                                                            "safety_identifier"};

bool contains(std::span<const std::string_view> keys, std::string_view key) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

bool is_number_equal(JsonValue value, double expected) {
  return value.is_number() && as_double(value) == expected;
}

// A value equal to OpenAI's default asks for nothing, so it is harmless for every family.
bool is_default_value(std::string_view key, JsonValue value) {
  if (key == "n") return is_number_equal(value, 1.0);
  if (key == "logprobs") return value.is_bool() && !bool(value);
  if (key == "top_logprobs" || key == "frequency_penalty" || key == "presence_penalty") {
    return is_number_equal(value, 0.0);
  }
  if (key == "modalities") {
    return array_size(value) == 1 && as_string(simdjson::dom::array(value).at(0).value_unsafe()) == "text";
  }
  if (key == "tools" || key == "stop") return value.is_array() && array_size(value) == 0;
  if (key == "response_format") {
    simdjson::dom::object fields;
    return value.get_object().get(fields) == simdjson::SUCCESS && fields.size() == 1 &&
           string_at(value, "type") == "text";
  }
  return false;
}

LineError unsupported(std::string_view key, JsonValue value, std::string_view model_label) {
  std::string param = "body." + std::string(key);
  if (key == "n") {
    return make_error("unsupported_value",
                      param + " = " + describe(value) + " asks for several choices, but " +
                          std::string(model_label) +
                          " on Bedrock returns one choice per request. Send n=1 (or omit n), or enable "
                          "drop_params for this model.",
                      param);
  }
  if (key == "logprobs" || key == "top_logprobs") {
    return make_error("unsupported_parameter",
                      param + ": " + std::string(model_label) +
                          " on Bedrock returns no log probabilities. Remove logprobs and top_logprobs, or "
                          "enable drop_params for this model.",
                      param);
  }
  if (key == "audio" || key == "modalities") {
    return make_error(
        "unsupported_value",
        param + ": " + std::string(model_label) +
            " on Bedrock produces text only. Remove audio and send modalities [\"text\"] (or omit "
            "it), or enable drop_params for this model.",
        param);
  }
  return make_error(
      "unsupported_parameter",
      param + " is not supported by " + std::string(model_label) + " on Bedrock. " + std::string(kDropHint),
      param);
}

// Integral JSON number (100 or 100.0) that fits an int; nullopt otherwise.
std::optional<int> as_int(JsonValue value) {
  std::int64_t integer = 0;
  if (value.get_int64().get(integer) == simdjson::SUCCESS) {
    if (integer < std::numeric_limits<int>::min() || integer > std::numeric_limits<int>::max()) {
      return std::nullopt;
    }
    return static_cast<int>(integer);
  }
  if (!value.is_double()) return std::nullopt;
  double v = double(value);
  if (std::trunc(v) != v || std::abs(v) > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(v);
}

}  // namespace

LineError make_error(std::string code, std::string message, std::string param) {
  return LineError{std::move(code), std::move(message), std::move(param)};
}

RequestTranslation one_record(std::optional<LineError> error, std::string input) {
  RequestTranslation translation;
  if (error) {
    translation.error = std::move(*error);
  } else {
    translation.model_inputs.push_back(std::move(input));
  }
  return translation;
}

std::string message_param(std::size_t index) {
  return "body.messages[" + std::to_string(index) + "]";
}

std::optional<LineError> check_body_keys(JsonValue body, std::span<const std::string_view> handled,
                                         std::string_view model_label, const RequestOptions& options) {
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(body)) {
    std::string_view key = field.key;
    if (field.value.is_null() || contains(handled, key) || contains(kHarmlessKeys, key)) continue;
    if (is_default_value(key, field.value) || options.drop_params) continue;
    return unsupported(key, field.value, model_label);
  }
  return std::nullopt;
}

Expected<simdjson::dom::array> read_messages(JsonValue body) {
  std::optional<JsonValue> messages = find_set(body, "messages");
  if (!messages) {
    return make_error("missing_required_parameter",
                      "body.messages is required: send the conversation as an array.", "body.messages");
  }
  if (!messages->is_array() || array_size(*messages) == 0) {
    return make_error("invalid_value", "body.messages must be a non-empty array of messages.",
                      "body.messages");
  }
  return simdjson::dom::array(*messages);
}

Expected<int> read_max_tokens(JsonValue body, int default_value) {
  for (std::string_view key : {std::string_view("max_completion_tokens"), std::string_view("max_tokens")}) {
    std::optional<JsonValue> value = find_set(body, key);
    if (!value) continue;
    std::optional<int> tokens = as_int(*value);
    if (!tokens || *tokens < 1) {
      std::string param = "body." + std::string(key);
      return make_error("invalid_value", param + " must be a positive integer, got " + describe(*value) + ".",
                        param);
    }
    return *tokens;
  }
  return default_value;
}

Expected<std::optional<double>> read_bounded_number(JsonValue body, std::string_view key, double max,
                                                    std::string_view model_label) {
  std::optional<JsonValue> value = find_set(body, key);
  if (!value) return std::optional<double>();
  std::string param = "body." + std::string(key);
  if (!value->is_number()) {
    return make_error("invalid_type", param + " must be a number, got " + describe(*value) + ".", param);
  }
  double number = as_double(*value);
  if (number < 0.0 || number > max) {
    std::string max_text;
    JsonWriter(max_text).number(max);
    std::string message = param + " = " + describe(*value) + " is out of range for " +
                          std::string(model_label) + ": allowed 0 to " +
                          (std::trunc(max) == max ? std::to_string(static_cast<long long>(max)) : max_text);
    // OpenAI accepts temperature up to 2, so say why a valid OpenAI value fails here.
    message +=
        key == "temperature" ? " (OpenAI's 0-2 scale is not rescaled; send a value of at most 1)." : ".";
    return make_error("invalid_value", std::move(message), param);
  }
  return std::optional<double>(number);
}

Expected<std::vector<std::string_view>> read_stop(JsonValue body) {
  std::vector<std::string_view> stops;
  std::optional<JsonValue> stop = find_set(body, "stop");
  if (!stop) return stops;
  if (stop->is_string()) {
    stops.push_back(as_string(*stop));
    return stops;
  }
  if (!stop->is_array()) {
    return make_error("invalid_type", "body.stop must be a string or an array of strings.", "body.stop");
  }
  std::size_t k = 0;
  for (JsonValue item : simdjson::dom::array(*stop)) {
    if (!item.is_string()) {
      std::string param = "body.stop[" + std::to_string(k) + "]";
      return make_error("invalid_type", param + " must be a string, got " + describe(item) + ".", param);
    }
    stops.push_back(as_string(item));
    ++k;
  }
  return stops;
}

namespace {

std::optional<LineError> check_required(JsonValue body, const ModelRules& rules,
                                        std::string_view model_label) {
  for (const std::string& key : rules.required_params) {
    if (find_set(body, key)) continue;
    if (key == "max_tokens" && find_set(body, "max_completion_tokens")) continue;
    std::string param = "body." + key;
    return make_error(
        "missing_required_parameter",
        param + " is required for " + std::string(model_label) +
            " by this gateway's configuration (required_params of the model); set it on the line.",
        param);
  }
  return std::nullopt;
}

// The output-token cap: a default above it is clamped, a requested value above it refused (clamped with
// drop_params).
std::optional<LineError> cap_max_tokens(JsonValue body, Sampling& s, const RequestOptions& options,
                                        std::string_view model_label) {
  if (!options.rules.max_output_tokens || s.max_tokens <= *options.rules.max_output_tokens)
    return std::nullopt;
  const int cap = *options.rules.max_output_tokens;
  const bool requested = find_set(body, "max_completion_tokens") || find_set(body, "max_tokens");
  if (!requested || options.drop_params) {
    s.max_tokens = cap;
    return std::nullopt;
  }
  std::string param =
      find_set(body, "max_completion_tokens") ? "body.max_completion_tokens" : "body.max_tokens";
  return make_error("invalid_value",
                    param + " = " + std::to_string(s.max_tokens) + " is above the " + std::to_string(cap) +
                        " output tokens " + std::string(model_label) +
                        " can produce (max_output_tokens of the model). Send at most " + std::to_string(cap) +
                        ", or enable drop_params for this model to clamp it.",
                    std::move(param));
}

std::optional<double>* sampling_field(Sampling& s, std::string_view name) {
  if (name == "temperature") return &s.temperature;
  if (name == "top_p") return &s.top_p;
  return nullptr;
}

// At most one of rules.exclusive_params: the first one set is kept, the others fail the line (dropped with
// drop_params).
std::optional<LineError> check_exclusive(Sampling& s, const RequestOptions& options,
                                         std::string_view model_label) {
  std::optional<std::string_view> kept;
  for (const std::string& name : options.rules.exclusive_params) {
    std::optional<double>* field = sampling_field(s, name);
    if (!field || !*field) continue;
    if (!kept) {
      kept = name;
      continue;
    }
    if (options.drop_params) {
      field->reset();
      continue;
    }
    std::string param = "body." + name;
    return make_error("unsupported_parameter",
                      "body." + std::string(*kept) + " and " + param + " cannot both be set for " +
                          std::string(model_label) +
                          ": it accepts only one of them (exclusive_params of the "
                          "model). Remove " +
                          param + ", or enable drop_params for this model to drop it.",
                      std::move(param));
  }
  return std::nullopt;
}

}  // namespace

std::optional<LineError> apply_model_rules(JsonValue body, Sampling& sampling, const RequestOptions& options,
                                           std::string_view model_label) {
  if (auto error = check_required(body, options.rules, model_label)) return error;
  if (auto error = cap_max_tokens(body, sampling, options, model_label)) return error;
  return check_exclusive(sampling, options, model_label);
}

Expected<Sampling> read_sampling(JsonValue body, const RequestOptions& options,
                                 std::string_view model_label) {
  Expected<int> max_tokens = read_max_tokens(body, options.default_max_tokens);
  if (!max_tokens) return std::move(max_tokens.error());
  Expected<std::optional<double>> temperature = read_bounded_number(body, "temperature", 1.0, model_label);
  if (!temperature) return std::move(temperature.error());
  Expected<std::optional<double>> top_p = read_bounded_number(body, "top_p", 1.0, model_label);
  if (!top_p) return std::move(top_p.error());
  Expected<std::vector<std::string_view>> stop = read_stop(body);
  if (!stop) return std::move(stop.error());
  Sampling sampling{*max_tokens, *temperature, *top_p, std::move(*stop)};
  if (auto error = apply_model_rules(body, sampling, options, model_label)) return std::move(*error);
  return sampling;
}

Expected<std::string_view> read_text_content(std::optional<JsonValue> content, const std::string& param,
                                             TextArena& arena) {
  if (!content) return std::string_view();
  if (content->is_string()) return as_string(*content);
  if (!content->is_array()) {
    return make_error("invalid_type", param + " must be a string or an array of text parts.", param);
  }
  std::string_view single;
  std::string* joined = nullptr;
  std::size_t j = 0;
  for (JsonValue part : simdjson::dom::array(*content)) {
    std::string_view kind = string_at(part, "type");
    std::optional<JsonValue> value =
        kind == "text" || kind == "refusal" ? find_set(part, kind) : std::optional<JsonValue>();
    if (!value || !value->is_string()) {
      std::string part_param = param + "[" + std::to_string(j) + "]";
      std::optional<JsonValue> type = find_set(part, "type");
      return make_error("invalid_value",
                        part_param + " has type " + (type ? describe(*type) : "null") +
                            "; this message takes text parts only ({\"type\":\"text\",\"text\":\"...\"}).",
                        part_param);
    }
    // One part is borrowed as it is; several are joined with '\n' in the arena.
    if (j == 0) {
      single = as_string(*value);
    } else {
      if (joined == nullptr) joined = &arena.emplace_back(single);
      *joined += '\n';
      *joined += as_string(*value);
    }
    ++j;
  }
  if (joined != nullptr) return std::string_view(*joined);
  return single;
}

namespace {

constexpr std::string_view kImageTypes = "image/jpeg, image/png, image/gif, image/webp";

// "image/png" → "png"; Bedrock's Claude and Nova accept these four (spec/bedrock-batch.md §10.2, §10.3).
std::string_view image_format(std::string_view media_type) {
  if (media_type == "image/jpeg" || media_type == "image/jpg") return "jpeg";
  if (media_type == "image/png") return "png";
  if (media_type == "image/gif") return "gif";
  if (media_type == "image/webp") return "webp";
  return {};
}

}  // namespace

Expected<InlineImage> read_image_part(JsonValue part, const std::string& param) {
  std::string url_param = param + ".image_url";
  std::optional<JsonValue> image_url = find_set(part, "image_url");
  std::optional<JsonValue> url = image_url;
  if (image_url && image_url->is_object()) {
    url = find_set(*image_url, "url");
    url_param += ".url";
  }
  if (!url || !url->is_string()) {
    return make_error("invalid_value", url_param + " must be a string holding a data URL.", url_param);
  }
  std::string_view text = as_string(*url);
  if (text.starts_with("http://") || text.starts_with("https://")) {
    return make_error(
        "unsupported_value",
        url_param +
            ": remote image URLs are not supported in batch requests, because Bedrock needs the "
            "image inline. Embed it as a data URL (data:image/png;base64,...); allowed types: " +
            std::string(kImageTypes) + ".",
        url_param);
  }
  constexpr std::string_view kMarker = ";base64,";
  std::size_t marker = text.find(kMarker);
  if (!text.starts_with("data:") || marker == std::string_view::npos) {
    return make_error(
        "invalid_value",
        url_param + " must be a base64 data URL (data:image/png;base64,...), got " + describe(*url) + ".",
        url_param);
  }
  std::string_view media_type = text.substr(5, marker - 5);
  std::string_view format = image_format(media_type);
  if (format.empty()) {
    return make_error("unsupported_value",
                      url_param + " has media type '" + std::string(media_type) + "'; Bedrock accepts " +
                          std::string(kImageTypes) + ".",
                      url_param);
  }
  std::string_view data = text.substr(marker + kMarker.size());
  if (data.empty()) {
    return make_error("invalid_value", url_param + " holds no image data after ';base64,'.", url_param);
  }
  return InlineImage{format, data};
}

}  // namespace batchgate::translators::chat
