#include "translators/chat_response.hpp"

#include <algorithm>
#include <utility>

namespace batchgate::translators::chat {

using nlohmann::json;

json make_chat_completion(Completion completion, const ResponseContext& context) {
  json message = {{"role", "assistant"},
                  {"content", completion.content ? json(std::move(*completion.content)) : json(nullptr)},
                  {"refusal", nullptr},
                  {"annotations", json::array()}};
  // OpenAI omits tool_calls when there are none (spec/openai-batch.md §6).
  if (!completion.tool_calls.empty()) {
    json calls = json::array();
    for (ToolCall& call : completion.tool_calls) {
      calls.push_back(
          {{"id", std::move(call.id)},
           {"type", "function"},
           {"function", {{"name", std::move(call.name)}, {"arguments", std::move(call.arguments)}}}});
    }
    message["tool_calls"] = std::move(calls);
  }
  const Usage& usage = completion.usage;
  json choice = {{"index", 0},
                 {"message", std::move(message)},
                 {"logprobs", nullptr},
                 {"finish_reason", completion.finish_reason}};
  return json{{"id", context.response_id},
              {"object", "chat.completion"},
              {"created", context.created},
              {"model", context.model},
              {"choices", json::array({std::move(choice)})},
              {"usage",
               {{"prompt_tokens", usage.prompt_tokens},
                {"completion_tokens", usage.completion_tokens},
                {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
                {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}},
                {"completion_tokens_details", {{"reasoning_tokens", usage.reasoning_tokens}}}}},
              {"system_fingerprint", nullptr},
              {"service_tier", nullptr}};
}

LineError invalid_output(std::string_view family, std::string_view detail) {
  return LineError{"invalid_model_output",
                   "The Bedrock modelOutput is not a readable " + std::string(family) +
                       " response: " + std::string(detail) + ".",
                   ""};
}

std::int64_t read_count(const json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return std::max<std::int64_t>(0, it->get<std::int64_t>());
  if (!it->is_number_float()) return 0;
  // A float count is not what Bedrock sends; converting an out-of-range double would be undefined.
  double value = it->get<double>();
  constexpr double kMax = 1e15;
  return value >= 0.0 && value <= kMax ? static_cast<std::int64_t>(value) : 0;
}

}  // namespace batchgate::translators::chat
