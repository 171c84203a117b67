#include "translators/output_line.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace batchgate::translators {
namespace {

using nlohmann::json;

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
    case MissingReason::kMissingOutput:
      break;
  }
  return "missing_output";
}

json success_line(std::string_view custom_id, const LineIds& ids, json body) {
  return {{"id", ids.line_id},
          {"custom_id", custom_id},
          {"response", {{"status_code", 200}, {"request_id", ids.request_id}, {"body", std::move(body)}}},
          {"error", nullptr}};
}

json http_error_line(std::string_view custom_id, const LineIds& ids, int status_code, std::string message,
                     std::optional<std::string> param, std::optional<std::string> code) {
  json error = {{"message", std::move(message)},
                {"type", status_code < 500 ? "invalid_request_error" : "server_error"},
                {"param", param ? json(std::move(*param)) : json(nullptr)},
                {"code", code ? json(std::move(*code)) : json(nullptr)}};
  return {{"id", ids.line_id},
          {"custom_id", custom_id},
          {"response",
           {{"status_code", status_code},
            {"request_id", ids.request_id},
            {"body", {{"error", std::move(error)}}}}},
          {"error", nullptr}};
}

int bedrock_error_status(const json& error_code) {
  if (error_code.is_number_integer()) {
    auto status = error_code.get<std::int64_t>();
    return is_http_error(status) ? static_cast<int>(status) : 500;
  }
  if (!error_code.is_string()) return 500;
  std::string_view text = error_code.get_ref<const std::string&>();
  int status = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec == std::errc() && end == text.data() + text.size()) return is_http_error(status) ? status : 500;
  for (const ExceptionStatus& row : kExceptionStatus) {
    if (row.name == text) return row.status;
  }
  return 500;
}

json bedrock_error_line(std::string_view custom_id, const LineIds& ids, const json& error) {
  const json* code = nullptr;
  const json* message = nullptr;
  if (error.is_object()) {
    if (auto it = error.find("errorCode"); it != error.end()) code = &*it;
    if (auto it = error.find("errorMessage"); it != error.end() && it->is_string()) message = &*it;
  }
  int status = code != nullptr ? bedrock_error_status(*code) : 500;
  std::optional<std::string> code_name;
  // A named AWS error (e.g. "ThrottlingException") is worth showing; a number is already the status.
  if (code != nullptr && code->is_string()) {
    const std::string& name = code->get_ref<const std::string&>();
    if (name.find_first_not_of("0123456789") != std::string::npos) code_name = name;
  }
  std::string text = message != nullptr ? message->get<std::string>()
                                        : "Bedrock reported an error for this request without a message.";
  return http_error_line(custom_id, ids, status, std::move(text), std::nullopt, std::move(code_name));
}

json line_error_line(std::string_view custom_id, const LineIds& ids, const LineError& error) {
  return http_error_line(custom_id, ids, 400, error.message,
                         error.param.empty() ? std::nullopt : std::optional<std::string>(error.param),
                         error.code.empty() ? std::nullopt : std::optional<std::string>(error.code));
}

json missing_line(std::string_view custom_id, std::string_view line_id, MissingReason reason) {
  return {{"id", line_id},
          {"custom_id", custom_id},
          {"response", nullptr},
          {"error", {{"code", missing_reason_code(reason)}, {"message", missing_message(reason)}}}};
}

OutputLine build_output_line(std::string_view custom_id, std::vector<std::optional<json>> records,
                             const Translator& translator, const ResponseContext& context, const LineIds& ids,
                             MissingReason missing_reason) {
  std::vector<json> outputs;
  outputs.reserve(records.size());
  for (std::optional<json>& record : records) {
    if (!record || !record->is_object()) return {missing_line(custom_id, ids.line_id, missing_reason), true};
    if (auto error = record->find("error"); error != record->end() && !error->is_null()) {
      return {bedrock_error_line(custom_id, ids, *error), true};
    }
    auto output = record->find("modelOutput");
    if (output == record->end())
      return {missing_line(custom_id, ids.line_id, MissingReason::kMissingOutput), true};
    outputs.push_back(std::move(*output));
  }
  if (outputs.empty()) return {missing_line(custom_id, ids.line_id, missing_reason), true};
  ResponseTranslation translation = translator.to_openai(outputs, context);
  if (translation.error) {
    return {http_error_line(custom_id, ids, 500, translation.error->message, std::nullopt,
                            translation.error->code),
            true};
  }
  return {success_line(custom_id, ids, std::move(translation.body)), false};
}

}  // namespace batchgate::translators
