#include "translators/output_line.hpp"

#include <array>
#include <charconv>
#include <vector>

#include "translators/json_writer.hpp"

namespace batchgate::translators {
namespace {

struct ExceptionStatus {
  std::string_view name;
  int status;
};

// Bedrock runtime exceptions by HTTP status (bedrock-runtime service model; spec/bedrock-batch.md §7).
constexpr std::array<ExceptionStatus, 9> kExceptionStatus = {{
    {"ValidationException", 400},
    {"ServiceQuotaExceededException", 400},
    {"AccessDeniedException", 403},
    {"ResourceNotFoundException", 404},
    {"ModelTimeoutException", 408},
    {"ModelErrorException", 424},
    {"ThrottlingException", 429},
    {"ModelNotReadyException", 429},
    {"ServiceUnavailableException", 503},
}};

bool is_http_error(std::int64_t status) {
  return status >= 400 && status <= 599;
}

std::string_view missing_message(MissingReason reason) {
  switch (reason) {
    case MissingReason::kBatchExpired:
      return "This request could not be executed before the completion window expired.";
    case MissingReason::kBatchCancelled:
      return "This request was not executed because the batch was cancelled.";
    case MissingReason::kBatchFailed:
      return "This request was not executed because the Bedrock job failed before reaching it (see the "
             "batch's errors); submit it again in a new batch.";
    case MissingReason::kMissingOutput:
      break;
  }
  return "Bedrock returned no result for this request; submit it again in a new batch.";
}

}  // namespace

std::string_view missing_reason_code(MissingReason reason) {
  switch (reason) {
    case MissingReason::kBatchExpired:
      return "batch_expired";
    case MissingReason::kBatchCancelled:
      return "batch_cancelled";
    case MissingReason::kBatchFailed:
      return "batch_failed";
    case MissingReason::kMissingOutput:
      break;
  }
  return "missing_output";
}

namespace {

// Envelope of a line without its body: id, custom_id, request_id and the fixed keys, ~150 bytes.
constexpr std::size_t kEnvelopeBytes = 192;

void begin_line(JsonWriter& w, std::string_view custom_id, std::string_view line_id) {
  w.begin_object().field("id", line_id).field("custom_id", custom_id);
}

void begin_response(JsonWriter& w, std::string_view custom_id, const LineIds& ids, int status_code) {
  begin_line(w, custom_id, ids.line_id);
  w.key("response").begin_object().field("status_code", status_code).field("request_id", ids.request_id);
  w.key("body");
}

void end_response(JsonWriter& w) {
  w.end_object().key("error").null().end_object();
}

void optional_string(JsonWriter& w, std::optional<std::string_view> text) {
  if (text) {
    w.string(*text);
    return;
  }
  w.null();
}

}  // namespace

std::string success_line(std::string_view custom_id, const LineIds& ids, std::string_view body) {
  std::string line;
  line.reserve(kEnvelopeBytes + custom_id.size() + body.size());
  JsonWriter w(line);
  begin_response(w, custom_id, ids, 200);
  w.raw(body);
  end_response(w);
  return line;
}

std::string http_error_line(std::string_view custom_id, const LineIds& ids, int status_code,
                            std::string_view message, std::optional<std::string_view> param,
                            std::optional<std::string_view> code) {
  std::string line;
  line.reserve(kEnvelopeBytes + custom_id.size() + message.size() + 128);
  JsonWriter w(line);
  begin_response(w, custom_id, ids, status_code);
  w.begin_object().key("error").begin_object().field("message", message);
  w.field("type", status_code < 500 ? "invalid_request_error" : "server_error").key("param");
  optional_string(w, param);
  w.key("code");
  optional_string(w, code);
  w.end_object().end_object();
  end_response(w);
  return line;
}

int bedrock_error_status(JsonValue error_code) {
  std::int64_t number = 0;
  if (error_code.get_int64().get(number) == simdjson::SUCCESS) {
    return is_http_error(number) ? static_cast<int>(number) : 500;
  }
  if (!error_code.is_string()) return 500;
  std::string_view text = as_string(error_code);
  int status = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec == std::errc() && end == text.data() + text.size()) return is_http_error(status) ? status : 500;
  for (const ExceptionStatus& row : kExceptionStatus) {
    if (row.name == text) return row.status;
  }
  return 500;
}

std::string bedrock_error_line(std::string_view custom_id, const LineIds& ids, JsonValue error) {
  std::optional<JsonValue> code = find_set(error, "errorCode");
  std::optional<JsonValue> message = find_set(error, "errorMessage");
  int status = code ? bedrock_error_status(*code) : 500;
  std::optional<std::string_view> code_name;
  // A named AWS error (e.g. "ThrottlingException") is worth showing; a number is already the status.
  if (code && code->is_string()) {
    std::string_view name = as_string(*code);
    if (name.find_first_not_of("0123456789") != std::string_view::npos) code_name = name;
  }
  std::string_view text = message && message->is_string()
                              ? as_string(*message)
                              : "Bedrock reported an error for this request without a message.";
  return http_error_line(custom_id, ids, status, text, std::nullopt, code_name);
}

std::string line_error_line(std::string_view custom_id, const LineIds& ids, const LineError& error) {
  return http_error_line(custom_id, ids, 400, error.message,
                         error.param.empty() ? std::nullopt : std::optional<std::string_view>(error.param),
                         error.code.empty() ? std::nullopt : std::optional<std::string_view>(error.code));
}

std::string missing_line(std::string_view custom_id, std::string_view line_id, MissingReason reason) {
  std::string line;
  JsonWriter w(line);
  begin_line(w, custom_id, line_id);
  w.key("response").null().key("error").begin_object();
  w.field("code", missing_reason_code(reason)).field("message", missing_message(reason));
  w.end_object().end_object();
  return line;
}

OutputLine build_output_line(std::string_view custom_id, std::span<const std::optional<JsonValue>> records,
                             const Translator& translator, const ResponseContext& context, const LineIds& ids,
                             MissingReason missing_reason) {
  // One record per request but for list-input embeddings: the usual case needs no heap.
  JsonValue single;
  std::vector<JsonValue> several(records.size() > 1 ? records.size() : 0);
  std::span<JsonValue> outputs = records.size() > 1 ? std::span(several) : std::span(&single, records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::optional<JsonValue>& record = records[i];
    if (!record || !record->is_object()) {
      return {missing_line(custom_id, ids.line_id, missing_reason), true, {}};
    }
    if (std::optional<JsonValue> error = find_set(*record, "error")) {
      return {bedrock_error_line(custom_id, ids, *error), true, {}};
    }
    // A null modelOutput is still an output: the translator reports it as unreadable.
    if (record->at_key("modelOutput").get(outputs[i]) != simdjson::SUCCESS) {
      return {missing_line(custom_id, ids.line_id, MissingReason::kMissingOutput), true, {}};
    }
  }
  if (outputs.empty()) return {missing_line(custom_id, ids.line_id, missing_reason), true, {}};
  ResponseTranslation translation = translator.to_openai(outputs, context);
  if (translation.error) {
    return {http_error_line(custom_id, ids, 500, translation.error->message, std::nullopt,
                            translation.error->code),
            true,
            {}};
  }
  return {success_line(custom_id, ids, translation.body), false, translation.usage};
}

}  // namespace batchgate::translators
