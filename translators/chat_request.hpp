#pragma once
// Reading an OpenAI chat.completions request body (spec/openai-batch.md §6), shared by the chat families.
// The body is a parsed simdjson value; what is read borrows its text (string_views into the parser's
// document), so a translation copies each string once, when it writes the Bedrock record. Every error names
// the offending field as `param` ("body.messages[2].content[0].image_url") and says what the caller can
// send instead (STYLE.md rule 10).

#include <cstddef>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "translators/expected.hpp"
#include "translators/json_value.hpp"
#include "translators/json_writer.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators::chat {

// The reserved name of the tool that emulates response_format json_schema / json_object: the request forces
// the model to call it, and the response turns its input back into message content. Request tools may not
// use this name.
inline constexpr std::string_view kJsonToolName = "json_tool_call";

using translators::describe;
using translators::find_set;
using translators::string_at;

LineError make_error(std::string code, std::string message, std::string param);

// The translation of a request that becomes one record: `input` (compact JSON), or `error` when set.
RequestTranslation one_record(std::optional<LineError> error, std::string input);
std::string message_param(std::size_t index);  // "body.messages[<index>]"

// Text a translation had to build (joined text parts, compacted tool arguments): the views handed out stay
// valid as long as the arena (a deque never moves its strings).
using TextArena = std::deque<std::string>;

// Checks every top-level key: keys in `handled` are read by the family, harmless OpenAI-only keys are
// skipped, anything else is an unsupported parameter for `model_label` — an error unless
// options.drop_params, in which case the family never reads it. Keys whose value is OpenAI's default
// (n=1, logprobs=false, penalties 0, modalities ["text"]) are harmless everywhere.
std::optional<LineError> check_body_keys(JsonValue body, std::span<const std::string_view> handled,
                                         std::string_view model_label, const RequestOptions& options);

// The messages array: present, an array, not empty.
Expected<simdjson::dom::array> read_messages(JsonValue body);

// max_completion_tokens (preferred) or the deprecated max_tokens; `default_value` when neither is set.
Expected<int> read_max_tokens(JsonValue body, int default_value);

// A number in [0, max] under `key` (temperature, top_p); nullopt when unset. `model_label` and the
// OpenAI range go into the message because OpenAI accepts temperature up to 2.
Expected<std::optional<double>> read_bounded_number(JsonValue body, std::string_view key, double max,
                                                    std::string_view model_label);

// stop: a string or an array of strings → the list of stop sequences (empty when unset).
Expected<std::vector<std::string_view>> read_stop(JsonValue body);

// The generation limits every chat family takes: max tokens (with the configured default), temperature
// and top_p in [0, 1], and the stop sequences.
struct Sampling {
  int max_tokens = 0;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string_view> stop;
};
// The model's rules (options.rules) are applied to what was read: required fields, the output-token cap
// and exclusive sampling parameters — errors naming the field and the config key, or with drop_params the
// value clamped / dropped.
Expected<Sampling> read_sampling(JsonValue body, const RequestOptions& options, std::string_view model_label);
// The same rules on sampling values a family read itself (Llama, which takes no stop sequences).
std::optional<LineError> apply_model_rules(JsonValue body, Sampling& sampling, const RequestOptions& options,
                                           std::string_view model_label);

// Text of a system/developer/tool message or of an assistant message: a string, or text parts joined
// with '\n' (refusal parts count as text for assistants). `content` nullopt (absent or null) is "".
// `param` names the content field.
Expected<std::string_view> read_text_content(std::optional<JsonValue> content, const std::string& param,
                                             TextArena& arena);

// An image_url part holding a data URL. Remote http(s) URLs are an error: batch records must be
// self-contained, and Bedrock only takes inline base64 (spec/openai-batch.md §6).
struct InlineImage {
  std::string_view format;  // "jpeg", "png", "gif", "webp"
  std::string_view base64;  // the data, still base64
};
Expected<InlineImage> read_image_part(JsonValue part, const std::string& param);

struct FunctionTool {
  std::string_view name;
  std::optional<std::string_view> description;
  std::optional<JsonValue> parameters;  // JSON Schema object
};
// tools: [{"type":"function","function":{name, description, parameters, strict}}].
Expected<std::vector<FunctionTool>> read_tools(JsonValue body);

enum class ToolChoiceKind { kUnset, kNone, kAuto, kRequired, kNamed };
struct ToolChoice {
  ToolChoiceKind kind = ToolChoiceKind::kUnset;
  std::string_view name;  // for kNamed
};
Expected<ToolChoice> read_tool_choice(JsonValue body, std::span<const FunctionTool> tools);

// response_format json_schema / json_object, emulated by a forced tool; nullopt for text or unset.
struct JsonResponse {
  std::string_view description;
  std::optional<JsonValue> schema;  // nullopt: {"type":"object"} (json_object, or json_schema without one)
};
Expected<std::optional<JsonResponse>> read_response_format(JsonValue body, bool has_tools);

// Everything about tools a request says: tools, tool_choice (checked against them) and the response_format
// emulation (which excludes tools).
struct ToolFields {
  std::vector<FunctionTool> tools;
  ToolChoice choice;
  std::optional<JsonResponse> json_response;
};
Expected<ToolFields> read_tool_fields(JsonValue body);

// Writes a tool's input schema: `schema`, or {"type":"object","properties":{}} when there is none.
void write_schema(JsonWriter& out, std::optional<JsonValue> schema, bool with_properties);

// tool_calls[j].function.arguments (a JSON string) → the compact JSON text of the object Claude/Nova want
// as `input` (kept in `arena`).
Expected<std::string_view> read_tool_arguments(JsonValue tool_call, const std::string& param,
                                               TextArena& arena);

// tool_calls[j].id and .function.name.
struct ToolCallRef {
  std::string_view id;
  std::string_view name;
};
Expected<ToolCallRef> read_tool_call_ref(JsonValue tool_call, const std::string& param);

// tool message: tool_call_id.
Expected<std::string_view> read_tool_call_id(JsonValue message, std::size_t index);

}  // namespace batchgate::translators::chat
