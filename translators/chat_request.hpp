#pragma once
// Reading an OpenAI chat.completions request body (spec/openai-batch.md §6), shared by the chat families.
// Every error names the offending field as `param` ("body.messages[2].content[0].image_url") and says what
// the caller can send instead (STYLE.md rule 10).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "translators/expected.hpp"
#include "translators/translator.hpp"

namespace batchgate::translators::chat {

using nlohmann::json;

// The reserved name of the tool that emulates response_format json_schema / json_object: the request forces
// the model to call it, and the response turns its input back into message content. Request tools may not
// use this name.
inline constexpr std::string_view kJsonToolName = "json_tool_call";

LineError make_error(std::string code, std::string message, std::string param);
std::string message_param(std::size_t index);  // "body.messages[<index>]"
std::string describe(const json& value);       // short rendering of a value for messages

// nullptr when the key is absent or JSON null (OpenAI treats null as "not set").
const json* find_set(const json& object, std::string_view key);

// The string at object[key] (a view into `object`), or "" when absent or not a string.
std::string_view string_at(const json& object, std::string_view key);

// Checks every top-level key: keys in `handled` are read by the family, harmless OpenAI-only keys are
// skipped, anything else is an unsupported parameter for `model_label` — an error unless
// options.drop_params, in which case the family never reads it. Keys whose value is OpenAI's default
// (n=1, logprobs=false, penalties 0, modalities ["text"]) are harmless everywhere.
std::optional<LineError> check_body_keys(const json& body, std::span<const std::string_view> handled,
                                         std::string_view model_label, const RequestOptions& options);

// The messages array: present, an array, not empty.
Expected<const json*> read_messages(const json& body);

// max_completion_tokens (preferred) or the deprecated max_tokens; `default_value` when neither is set.
Expected<int> read_max_tokens(const json& body, int default_value);

// A number in [0, max] under `key` (temperature, top_p); nullopt when unset. `model_label` and the
// OpenAI range go into the message because OpenAI accepts temperature up to 2.
Expected<std::optional<double>> read_bounded_number(const json& body, std::string_view key, double max,
                                                    std::string_view model_label);

// stop: a string or an array of strings → the list of stop sequences (empty when unset).
Expected<std::vector<std::string>> read_stop(const json& body);

// The generation limits every chat family takes: max tokens (with the configured default), temperature
// and top_p in [0, 1], and the stop sequences.
struct Sampling {
  int max_tokens = 0;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop;
};
Expected<Sampling> read_sampling(const json& body, int default_max_tokens, std::string_view model_label);

// Text of a system/developer/tool message or of an assistant message: a string, or text parts joined
// with '\n' (refusal parts count as text for assistants). `param` names the content field.
Expected<std::string> read_text_content(const json& content, const std::string& param);

// An image_url part holding a data URL. Remote http(s) URLs are an error: batch records must be
// self-contained, and Bedrock only takes inline base64 (spec/openai-batch.md §6).
struct InlineImage {
  std::string_view format;  // "jpeg", "png", "gif", "webp"
  std::string_view base64;  // the data, still base64
};
Expected<InlineImage> read_image_part(const json& part, const std::string& param);

struct FunctionTool {
  const std::string* name = nullptr;
  const json* description = nullptr;  // string or nullptr
  const json* parameters = nullptr;   // JSON Schema object or nullptr
};
// tools: [{"type":"function","function":{name, description, parameters, strict}}].
Expected<std::vector<FunctionTool>> read_tools(const json& body);

enum class ToolChoiceKind { kUnset, kNone, kAuto, kRequired, kNamed };
struct ToolChoice {
  ToolChoiceKind kind = ToolChoiceKind::kUnset;
  std::string name;  // for kNamed
};
Expected<ToolChoice> read_tool_choice(const json& body, std::span<const FunctionTool> tools);

// response_format json_schema / json_object, emulated by a forced tool; nullopt for text or unset.
struct JsonResponse {
  std::string description;
  json schema;  // the JSON Schema the answer must follow ({"type":"object"} for json_object)
};
Expected<std::optional<JsonResponse>> read_response_format(const json& body, bool has_tools);

// tool_calls[j].function.arguments (a JSON string) parsed into the object Claude/Nova want as `input`.
Expected<json> read_tool_arguments(const json& tool_call, const std::string& param);

// tool_calls[j].id and .function.name.
struct ToolCallRef {
  const std::string* id = nullptr;
  const std::string* name = nullptr;
};
Expected<ToolCallRef> read_tool_call_ref(const json& tool_call, const std::string& param);

// tool message: tool_call_id.
Expected<const std::string*> read_tool_call_id(const json& message, std::size_t index);

}  // namespace batchgate::translators::chat
