#include "translators/llama_prompt.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "translators/chat_request.hpp"
#include "translators/json_writer.hpp"
#include "translators/chat_response.hpp"

namespace batchgate::translators {
namespace {

using namespace chat;

constexpr std::string_view kLabel = "Meta Llama";
// Everything else (tools, tool_choice, stop, response_format…) is unsupported: check_body_keys reports it.
constexpr std::array<std::string_view, 5> kHandledKeys = {"messages", "max_tokens", "max_completion_tokens",
                                                          "temperature", "top_p"};
// Bedrock caps max_gen_len at 2048 (spec/bedrock-batch.md §10.4); the configured default is meant for
// models with larger limits, so it is capped here. Explicit values go through for Bedrock to judge.
constexpr int kMaxGenLen = 2048;

struct TemplateTokens {
  std::string_view begin;
  std::string_view header_start;
  std::string_view header_end;  // includes the blank line before the turn's text
  std::string_view end_of_turn;
};
constexpr TemplateTokens kLlama3Tokens = {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>\n\n",
                                          "<|eot_id|>"};
constexpr TemplateTokens kLlama4Tokens = {"<|begin_of_text|>", "<|header_start|>", "<|header_end|>\n\n",
                                          "<|eot|>"};

struct Turn {
  std::string_view role;
  std::string_view text;
};

Expected<std::string_view> turn_text(JsonValue message, std::string_view role, std::size_t i,
                                     TextArena& arena) {
  std::string param = message_param(i);
  if (role == "assistant" && find_set(message, "tool_calls")) {
    return make_error(
        "unsupported_value",
        param +
            ".tool_calls: Meta Llama on Bedrock has no tool calling; use a Claude or Nova model "
            "for conversations with tools.",
        param + ".tool_calls");
  }
  std::optional<JsonValue> content = find_set(message, "content");
  if (!content && role == "user") {
    return make_error("invalid_value", param + ".content is required.", param + ".content");
  }
  Expected<std::string_view> text = read_text_content(content, param + ".content", arena);
  if (!text) {
    text.error().message += " Meta Llama on Bedrock takes text only.";
    return std::move(text.error());
  }
  return *text;
}

// The Llama chat template; a trailing assistant message is left open so the model continues it.
std::string render_prompt(const TemplateTokens& tokens, const std::string& system,
                          const std::vector<Turn>& turns) {
  std::size_t size = tokens.begin.size() + system.size() + 64;
  for (const Turn& turn : turns) size += turn.text.size() + 48;
  std::string prompt;
  prompt.reserve(size);
  prompt += tokens.begin;
  auto header = [&prompt, &tokens](std::string_view role) {
    prompt += tokens.header_start;
    prompt += role;
    prompt += tokens.header_end;
  };
  if (!system.empty()) {
    header("system");
    prompt += system;
    prompt += tokens.end_of_turn;
  }
  for (std::size_t t = 0; t < turns.size(); ++t) {
    header(turns[t].role);
    prompt += turns[t].text;
    bool open_prefill = t + 1 == turns.size() && turns[t].role == "assistant";
    if (open_prefill) return prompt;
    prompt += tokens.end_of_turn;
  }
  header("assistant");
  return prompt;
}

Expected<std::string> read_prompt(JsonValue body, const TemplateTokens& tokens) {
  Expected<simdjson::dom::array> messages = read_messages(body);
  if (!messages) return std::move(messages.error());
  TextArena arena;
  std::string system;
  std::vector<Turn> turns;
  std::size_t i = 0;
  for (JsonValue message : *messages) {
    const std::size_t index = i++;
    std::optional<JsonValue> role = find_set(message, "role");
    std::string_view name = string_at(message, "role");
    if (name == "tool") {
      std::string param = message_param(index);
      return make_error(
          "unsupported_value",
          param +
              ": Meta Llama on Bedrock has no tool calling, so tool messages cannot be sent; use "
              "a Claude or Nova model for conversations with tools.",
          param + ".role");
    }
    if (name != "system" && name != "developer" && name != "user" && name != "assistant") {
      std::string param = message_param(index) + ".role";
      return make_error("invalid_value",
                        param + " must be one of \"system\", \"developer\", \"user\", \"assistant\", got " +
                            (role ? describe(*role) : "nothing") + ".",
                        param);
    }
    Expected<std::string_view> text = turn_text(message, name, index, arena);
    if (!text) return std::move(text.error());
    if (name == "system" || name == "developer") {
      if (!system.empty() && !text->empty()) system += "\n\n";
      system += *text;
      continue;
    }
    turns.push_back({name == "user" ? "user" : "assistant", *text});
  }
  if (turns.empty()) {
    return make_error(
        "invalid_value",
        "body.messages needs at least one user message; system and developer messages alone are "
        "not a conversation.",
        "body.messages");
  }
  return render_prompt(tokens, system, turns);
}

std::optional<LineError> build_input(JsonValue body, const RequestOptions& options,
                                     const TemplateTokens& tokens, std::string& text) {
  if (!body.is_object()) return make_error("invalid_type", "body must be a JSON object.", "body");
  if (auto error = check_body_keys(body, kHandledKeys, kLabel, options)) return error;
  Expected<std::string> prompt = read_prompt(body, tokens);
  if (!prompt) return std::move(prompt.error());
  Expected<int> max_gen_len = read_max_tokens(body, options.default_max_tokens);
  if (!max_gen_len) return std::move(max_gen_len.error());
  Expected<std::optional<double>> temperature = read_bounded_number(body, "temperature", 1.0, kLabel);
  if (!temperature) return std::move(temperature.error());
  Expected<std::optional<double>> top_p = read_bounded_number(body, "top_p", 1.0, kLabel);
  if (!top_p) return std::move(top_p.error());
  // The model's rules as for the other chat families; Llama takes no stop sequences.
  Sampling sampling{*max_gen_len, *temperature, *top_p, {}};
  if (auto error = apply_model_rules(body, sampling, options, kLabel)) return error;
  if (!find_set(body, "max_tokens") && !find_set(body, "max_completion_tokens"))
    sampling.max_tokens = std::min(sampling.max_tokens, kMaxGenLen);

  JsonWriter out(text);
  out.begin_object().field("prompt", *prompt).field("max_gen_len", sampling.max_tokens);
  if (sampling.temperature) out.field("temperature", *sampling.temperature);
  if (sampling.top_p) out.field("top_p", *sampling.top_p);
  out.end_object();
  return std::nullopt;
}

}  // namespace

std::string_view llama_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "length") return "length";
  return "stop";
}

RequestTranslation LlamaPrompt::to_bedrock(JsonValue body, const RequestOptions& options) const {
  std::string input;
  std::optional<LineError> error =
      build_input(body, options, template_ == Template::kLlama4 ? kLlama4Tokens : kLlama3Tokens, input);
  return one_record(std::move(error), std::move(input));
}

ResponseTranslation LlamaPrompt::to_openai(std::span<const JsonValue> outputs,
                                           const ResponseContext& context) const {
  ResponseTranslation translation;
  constexpr std::string_view kName = "Meta Llama";
  if (outputs.size() != 1) {
    translation.error = invalid_output(kName, "expected exactly one record for the request");
    return translation;
  }
  const JsonValue output = outputs[0];
  std::optional<JsonValue> generation = translators::find_set(output, "generation");
  if (!generation || !generation->is_string()) {
    translation.error = invalid_output(kName, "no generation string");
    return translation;
  }
  Completion completion;
  completion.content.emplace().append_borrowed(as_string(*generation));
  completion.finish_reason = llama_finish_reason(translators::string_at(output, "stop_reason"));
  completion.usage.prompt_tokens = read_count(output, "prompt_token_count");
  completion.usage.completion_tokens = read_count(output, "generation_token_count");
  return make_chat_completion(completion, context);
}

}  // namespace batchgate::translators
