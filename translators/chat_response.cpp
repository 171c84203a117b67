#include "translators/chat_response.hpp"

#include <algorithm>

#include "translators/json_writer.hpp"

namespace batchgate::translators::chat {
namespace {

// Typical body without the answer's text: ~420 bytes of envelope and usage.
constexpr std::size_t kEnvelopeBytes = 512;

void write_message(JsonWriter& w, const Completion& completion) {
  w.begin_object().field("role", "assistant").key("content");
  if (completion.content) {
    w.string(completion.content->view());
  } else {
    w.null();
  }
  w.key("refusal").null().key("annotations").begin_array().end_array();
  // OpenAI omits tool_calls when there are none (spec/openai-batch.md §6).
  if (!completion.tool_calls.empty()) {
    w.key("tool_calls").begin_array();
    for (const ToolCall& call : completion.tool_calls) {
      w.begin_object().field("id", call.id).field("type", "function").key("function").begin_object();
      w.field("name", call.name).field("arguments", call.arguments).end_object().end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void write_usage(JsonWriter& w, const Usage& usage) {
  w.begin_object()
      .field("prompt_tokens", usage.prompt_tokens)
      .field("completion_tokens", usage.completion_tokens)
      .field("total_tokens", usage.prompt_tokens + usage.completion_tokens);
  w.key("prompt_tokens_details").begin_object().field("cached_tokens", usage.cached_tokens).end_object();
  w.key("completion_tokens_details").begin_object().field("reasoning_tokens", usage.reasoning_tokens);
  w.end_object().end_object();
}

}  // namespace

ResponseTranslation make_chat_completion(const Completion& completion, const ResponseContext& context) {
  ResponseTranslation translation;
  std::string& body = translation.body;
  body.reserve(kEnvelopeBytes + (completion.content ? completion.content->view().size() : 0));
  JsonWriter w(body);
  w.begin_object()
      .field("id", context.response_id)
      .field("object", "chat.completion")
      .field("created", context.created)
      .field("model", context.model);
  w.key("choices").begin_array().begin_object().field("index", 0).key("message");
  write_message(w, completion);
  w.key("logprobs").null().field("finish_reason", completion.finish_reason).end_object().end_array();
  w.key("usage");
  write_usage(w, completion.usage);
  w.key("system_fingerprint").null().key("service_tier").null().end_object();
  const Usage& usage = completion.usage;
  translation.usage = {usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens};
  return translation;
}

LineError invalid_output(std::string_view family, std::string_view detail) {
  return LineError{"invalid_model_output",
                   "The Bedrock modelOutput is not a readable " + std::string(family) +
                       " response: " + std::string(detail) + ".",
                   ""};
}

std::int64_t read_count(JsonValue object, std::string_view key) {
  std::optional<JsonValue> value = find_set(object, key);
  if (!value) return 0;
  std::int64_t count = 0;
  if (value->get_int64().get(count) == simdjson::SUCCESS) return std::max<std::int64_t>(0, count);
  // Neither an integer beyond int64 nor a float is a count Bedrock sends; converting an out-of-range
  // double would be undefined.
  if (!value->is_double()) return 0;
  double number = double(*value);
  constexpr double kMax = 1e15;
  return number >= 0.0 && number <= kMax ? static_cast<std::int64_t>(number) : 0;
}

}  // namespace batchgate::translators::chat
