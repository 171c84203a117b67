// Tools, tool_choice, response_format and tool-call history of an OpenAI chat request
// (spec/openai-batch.md §6), shared by the Claude and Nova translators.
#include <utility>

#include "translators/chat_request.hpp"

namespace batchgate::translators::chat {
namespace {

bool is_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Expected<FunctionTool> read_tool(const json& tool, std::size_t k) {
  std::string param = "body.tools[" + std::to_string(k) + "]";
  const json* type = tool.is_object() ? find_set(tool, "type") : nullptr;
  if (type == nullptr || *type != "function") {
    return make_error("unsupported_value",
                      param + ".type must be \"function\"; Bedrock models take function tools only.",
                      param + ".type");
  }
  const json* function = find_set(tool, "function");
  const json* name = function != nullptr && function->is_object() ? find_set(*function, "name") : nullptr;
  if (name == nullptr || !name->is_string() || !is_tool_name(name->get_ref<const std::string&>())) {
    return make_error("invalid_value", param + ".function.name must match [a-zA-Z0-9_-]{1,64}.",
                      param + ".function.name");
  }
  if (*name == kJsonToolName) {
    return make_error("invalid_value",
                      param + ".function.name '" + std::string(kJsonToolName) +
                          "' is reserved for response_format emulation; rename the tool.",
                      param + ".function.name");
  }
  FunctionTool result;
  result.name = &name->get_ref<const std::string&>();
  result.description = find_set(*function, "description");
  if (result.description != nullptr && !result.description->is_string()) {
    return make_error("invalid_type", param + ".function.description must be a string.",
                      param + ".function.description");
  }
  result.parameters = find_set(*function, "parameters");
  if (result.parameters != nullptr && !result.parameters->is_object()) {
    return make_error("invalid_type", param + ".function.parameters must be a JSON Schema object.",
                      param + ".function.parameters");
  }
  return result;
}

}  // namespace

Expected<std::vector<FunctionTool>> read_tools(const json& body) {
  std::vector<FunctionTool> tools;
  const json* list = find_set(body, "tools");
  if (list == nullptr) return tools;
  if (!list->is_array()) {
    return make_error("invalid_type", "body.tools must be an array of function tools.", "body.tools");
  }
  tools.reserve(list->size());
  for (std::size_t k = 0; k < list->size(); ++k) {
    Expected<FunctionTool> tool = read_tool((*list)[k], k);
    if (!tool) return std::move(tool.error());
    tools.push_back(*tool);
  }
  return tools;
}

Expected<ToolChoice> read_tool_choice(const json& body, std::span<const FunctionTool> tools) {
  const json* choice = find_set(body, "tool_choice");
  if (choice == nullptr) return ToolChoice{};
  ToolChoice result;
  if (*choice == "none") {
    result.kind = ToolChoiceKind::kNone;
  } else if (*choice == "auto") {
    result.kind = ToolChoiceKind::kAuto;
  } else if (*choice == "required") {
    result.kind = ToolChoiceKind::kRequired;
  } else {
    const json* function = choice->is_object() ? find_set(*choice, "function") : nullptr;
    const json* name = function != nullptr && function->is_object() ? find_set(*function, "name") : nullptr;
    if (name == nullptr || !name->is_string() || find_set(*choice, "type") == nullptr ||
        (*choice)["type"] != "function") {
      return make_error("invalid_value",
                        "body.tool_choice must be \"none\", \"auto\", \"required\" or "
                        "{\"type\":\"function\",\"function\":{\"name\":\"...\"}}, got " +
                            describe(*choice) + ".",
                        "body.tool_choice");
    }
    result.kind = ToolChoiceKind::kNamed;
    result.name = name->get<std::string>();
    bool known = false;
    for (const FunctionTool& tool : tools) known = known || *tool.name == result.name;
    if (!known) {
      return make_error(
          "invalid_value",
          "body.tool_choice names the function '" + result.name + "', which is not in body.tools.",
          "body.tool_choice.function.name");
    }
  }
  if (tools.empty() && result.kind != ToolChoiceKind::kNone) {
    return make_error("invalid_value", "body.tool_choice is only allowed when body.tools is set.",
                      "body.tool_choice");
  }
  return result;
}

Expected<std::optional<JsonResponse>> read_response_format(const json& body, bool has_tools) {
  const json* format = find_set(body, "response_format");
  if (format == nullptr) return std::optional<JsonResponse>();
  const json* type = format->is_object() ? find_set(*format, "type") : nullptr;
  if (type != nullptr && *type == "text") return std::optional<JsonResponse>();
  JsonResponse response;
  if (type != nullptr && *type == "json_object") {
    response.description = "Respond with a JSON object.";
    response.schema = json{{"type", "object"}};
  } else if (type != nullptr && *type == "json_schema") {
    const json* spec = find_set(*format, "json_schema");
    const json* schema = spec != nullptr && spec->is_object() ? find_set(*spec, "schema") : nullptr;
    if (spec == nullptr || !spec->is_object() || (schema != nullptr && !schema->is_object())) {
      return make_error("invalid_value",
                        "body.response_format.json_schema must be an object {name, schema, description?}.",
                        "body.response_format.json_schema");
    }
    const json* description = find_set(*spec, "description");
    response.description = description != nullptr && description->is_string()
                               ? description->get<std::string>()
                               : "Respond with JSON that follows this schema.";
    response.schema = schema != nullptr ? *schema : json{{"type", "object"}};
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
  return std::optional<JsonResponse>(std::move(response));
}

Expected<json> read_tool_arguments(const json& tool_call, const std::string& param) {
  std::string args_param = param + ".function.arguments";
  const json* function = find_set(tool_call, "function");
  const json* arguments =
      function != nullptr && function->is_object() ? find_set(*function, "arguments") : nullptr;
  if (arguments == nullptr) return json::object();
  if (arguments->is_object()) return *arguments;
  if (!arguments->is_string()) {
    return make_error("invalid_type", args_param + " must be a JSON-encoded string.", args_param);
  }
  const std::string& text = arguments->get_ref<const std::string&>();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return make_error(
        "invalid_value",
        args_param +
            " must be a JSON object encoded as a string (e.g. \"{\\\"city\\\":\\\"Paris\\\"}\"), "
            "got " +
            describe(*arguments) + ".",
        args_param);
  }
  return parsed;
}

Expected<ToolCallRef> read_tool_call_ref(const json& tool_call, const std::string& param) {
  const json* id = tool_call.is_object() ? find_set(tool_call, "id") : nullptr;
  if (id == nullptr || !id->is_string()) {
    return make_error("invalid_value", param + ".id must be a string.", param + ".id");
  }
  const json* function = find_set(tool_call, "function");
  const json* name = function != nullptr && function->is_object() ? find_set(*function, "name") : nullptr;
  if (name == nullptr || !name->is_string()) {
    return make_error("invalid_value", param + ".function.name must be a string.", param + ".function.name");
  }
  return ToolCallRef{&id->get_ref<const std::string&>(), &name->get_ref<const std::string&>()};
}

Expected<const std::string*> read_tool_call_id(const json& message, std::size_t index) {
  const json* id = find_set(message, "tool_call_id");
  if (id == nullptr || !id->is_string()) {
    std::string param = message_param(index) + ".tool_call_id";
    return make_error("invalid_value",
                      param + " must be the id of the assistant tool call this message answers.", param);
  }
  return &id->get_ref<const std::string&>();
}

}  // namespace batchgate::translators::chat
