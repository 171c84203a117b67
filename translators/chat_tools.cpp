// Tools, tool_choice, response_format and tool-call history of an OpenAI chat request
// (spec/openai-batch.md §6), shared by the Claude and Nova translators.
#include <utility>

#include "translators/chat_request.hpp"

namespace batchgate::translators::chat {
namespace {

bool is_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Expected<FunctionTool> read_tool(JsonValue tool, std::size_t k) {
  std::string param = "body.tools[" + std::to_string(k) + "]";
  if (string_at(tool, "type") != "function") {
    return make_error("unsupported_value",
                      param + ".type must be \"function\"; Bedrock models take function tools only.",
                      param + ".type");
  }
  std::optional<JsonValue> function = find_set(tool, "function");
  std::optional<JsonValue> name = function ? find_set(*function, "name") : std::nullopt;
  if (!name || !name->is_string() || !is_tool_name(as_string(*name))) {
    return make_error("invalid_value", param + ".function.name must match [a-zA-Z0-9_-]{1,64}.",
                      param + ".function.name");
  }
  if (as_string(*name) == kJsonToolName) {
    return make_error("invalid_value",
                      param + ".function.name '" + std::string(kJsonToolName) +
                          "' is reserved for response_format emulation; rename the tool.",
                      param + ".function.name");
  }
  FunctionTool result;
  result.name = as_string(*name);
  if (std::optional<JsonValue> description = find_set(*function, "description")) {
    if (!description->is_string()) {
      return make_error("invalid_type", param + ".function.description must be a string.",
                        param + ".function.description");
    }
    result.description = as_string(*description);
  }
  result.parameters = find_set(*function, "parameters");
  if (result.parameters && !result.parameters->is_object()) {
    return make_error("invalid_type", param + ".function.parameters must be a JSON Schema object.",
                      param + ".function.parameters");
  }
  return result;
}

}  // namespace

Expected<std::vector<FunctionTool>> read_tools(JsonValue body) {
  std::vector<FunctionTool> tools;
  std::optional<JsonValue> list = find_set(body, "tools");
  if (!list) return tools;
  if (!list->is_array()) {
    return make_error("invalid_type", "body.tools must be an array of function tools.", "body.tools");
  }
  tools.reserve(array_size(*list));
  std::size_t k = 0;
  for (JsonValue item : simdjson::dom::array(*list)) {
    Expected<FunctionTool> tool = read_tool(item, k++);
    if (!tool) return std::move(tool.error());
    tools.push_back(*tool);
  }
  return tools;
}

Expected<ToolChoice> read_tool_choice(JsonValue body, std::span<const FunctionTool> tools) {
  std::optional<JsonValue> choice = find_set(body, "tool_choice");
  if (!choice) return ToolChoice{};
  ToolChoice result;
  std::string_view word = as_string(*choice);
  if (choice->is_string() && word == "none") {
    result.kind = ToolChoiceKind::kNone;
  } else if (choice->is_string() && word == "auto") {
    result.kind = ToolChoiceKind::kAuto;
  } else if (choice->is_string() && word == "required") {
    result.kind = ToolChoiceKind::kRequired;
  } else {
    std::optional<JsonValue> function = find_set(*choice, "function");
    std::optional<JsonValue> name = function ? find_set(*function, "name") : std::nullopt;
    if (!name || !name->is_string() || string_at(*choice, "type") != "function") {
      return make_error("invalid_value",
                        "body.tool_choice must be \"none\", \"auto\", \"required\" or "
                        "{\"type\":\"function\",\"function\":{\"name\":\"...\"}}, got " +
                            describe(*choice) + ".",
                        "body.tool_choice");
    }
    result.kind = ToolChoiceKind::kNamed;
    result.name = as_string(*name);
    bool known = false;
    for (const FunctionTool& tool : tools) known = known || tool.name == result.name;
    if (!known) {
      return make_error("invalid_value",
                        "body.tool_choice names the function '" + std::string(result.name) +
                            "', which is not in body.tools.",
                        "body.tool_choice.function.name");
    }
  }
  if (tools.empty() && result.kind != ToolChoiceKind::kNone) {
    return make_error("invalid_value", "body.tool_choice is only allowed when body.tools is set.",
                      "body.tool_choice");
  }
  return result;
}

Expected<std::optional<JsonResponse>> read_response_format(JsonValue body, bool has_tools) {
  std::optional<JsonValue> format = find_set(body, "response_format");
  if (!format) return std::optional<JsonResponse>();
  std::optional<JsonValue> type_value = find_set(*format, "type");
  std::string_view type = type_value ? as_string(*type_value) : std::string_view();
  if (type == "text") return std::optional<JsonResponse>();
  JsonResponse response;
  if (type == "json_object") {
    response.description = "Respond with a JSON object.";
  } else if (type == "json_schema") {
    std::optional<JsonValue> spec = find_set(*format, "json_schema");
    std::optional<JsonValue> schema = spec ? find_set(*spec, "schema") : std::nullopt;
    if (!spec || !spec->is_object() || (schema && !schema->is_object())) {
      return make_error("invalid_value",
                        "body.response_format.json_schema must be an object {name, schema, description?}.",
                        "body.response_format.json_schema");
    }
    std::optional<JsonValue> description = find_set(*spec, "description");
    response.description = description && description->is_string()
                               ? as_string(*description)
                               : std::string_view("Respond with JSON that follows this schema.");
    response.schema = schema;
  } else {
    return make_error("invalid_value",
                      "body.response_format.type must be \"text\", \"json_object\" or \"json_schema\".",
                      "body.response_format.type");
  }
  if (has_tools) {
    return make_error(
        "unsupported_value",
        "body.response_format JSON output is emulated on Bedrock with a forced tool call and cannot "
        "be combined with body.tools; remove one of them.",
        "body.response_format");
  }
  return std::optional<JsonResponse>(response);
}

Expected<ToolFields> read_tool_fields(JsonValue body) {
  Expected<std::vector<FunctionTool>> tools = read_tools(body);
  if (!tools) return std::move(tools.error());
  Expected<ToolChoice> choice = read_tool_choice(body, *tools);
  if (!choice) return std::move(choice.error());
  Expected<std::optional<JsonResponse>> json_response = read_response_format(body, !tools->empty());
  if (!json_response) return std::move(json_response.error());
  return ToolFields{std::move(*tools), *choice, *json_response};
}

void write_schema(JsonWriter& out, std::optional<JsonValue> schema, bool with_properties) {
  if (schema) {
    out.value(*schema);
    return;
  }
  out.begin_object().field("type", "object");
  if (with_properties) out.key("properties").begin_object().end_object();
  out.end_object();
}

Expected<std::string_view> read_tool_arguments(JsonValue tool_call, const std::string& param,
                                               TextArena& arena) {
  std::string args_param = param + ".function.arguments";
  std::optional<JsonValue> function = find_set(tool_call, "function");
  std::optional<JsonValue> arguments = function ? find_set(*function, "arguments") : std::nullopt;
  if (!arguments) return std::string_view("{}");
  if (arguments->is_object()) return std::string_view(arena.emplace_back(to_json_text(*arguments)));
  if (!arguments->is_string()) {
    return make_error("invalid_type", args_param + " must be a JSON-encoded string.", args_param);
  }
  std::string_view text = as_string(*arguments);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::string_view("{}");
  // The arguments are a document of their own; a parser of their own keeps the request's values valid.
  thread_local simdjson::dom::parser parser;
  JsonValue parsed;
  if (parser.parse(text.data(), text.size()).get(parsed) != simdjson::SUCCESS || !parsed.is_object()) {
    return make_error(
        "invalid_value",
        args_param +
            " must be a JSON object encoded as a string (e.g. \"{\\\"city\\\":\\\"Paris\\\"}\"), "
            "got " +
            describe(*arguments) + ".",
        args_param);
  }
  return std::string_view(arena.emplace_back(to_json_text(parsed)));
}

Expected<ToolCallRef> read_tool_call_ref(JsonValue tool_call, const std::string& param) {
  std::optional<JsonValue> id = find_set(tool_call, "id");
  if (!id || !id->is_string()) {
    return make_error("invalid_value", param + ".id must be a string.", param + ".id");
  }
  std::optional<JsonValue> function = find_set(tool_call, "function");
  std::optional<JsonValue> name = function ? find_set(*function, "name") : std::nullopt;
  if (!name || !name->is_string()) {
    return make_error("invalid_value", param + ".function.name must be a string.", param + ".function.name");
  }
  return ToolCallRef{as_string(*id), as_string(*name)};
}

Expected<std::string_view> read_tool_call_id(JsonValue message, std::size_t index) {
  std::optional<JsonValue> id = find_set(message, "tool_call_id");
  if (!id || !id->is_string()) {
    std::string param = message_param(index) + ".tool_call_id";
    return make_error("invalid_value",
                      param + " must be the id of the assistant tool call this message answers.", param);
  }
  return as_string(*id);
}

}  // namespace batchgate::translators::chat
