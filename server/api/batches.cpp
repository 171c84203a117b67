#include "server/api/batches.hpp"

#include "server/common/numbers.hpp"

namespace batchgate::api {
namespace {

nlohmann::json opt(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json opt(const std::string& v) {
  return v.empty() ? nlohmann::json(nullptr) : nlohmann::json(v);
}

}  // namespace

namespace {

std::optional<std::string> string_member(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

// "24h" … "168h" → hours. OpenAI accepts only 24h; Bedrock jobs may run up to 168 h, so longer windows map to
// timeoutDurationInHours.
std::variant<int, ApiError> window_hours(const std::optional<std::string>& window) {
  if (!window) return ApiError::invalid("completion_window is required; use \"24h\".", "completion_window");
  std::int64_t hours = 0;
  if (window->size() >= 2 && window->back() == 'h')
    hours = parse_whole_number(std::string_view(*window).substr(0, window->size() - 1)).value_or(0);
  if (hours < 24 || hours > 168)
    return ApiError::invalid(
        "completion_window must be \"24h\" (or up to \"168h\", Bedrock's longest job timeout).",
        "completion_window");
  return int(hours);
}

std::optional<ApiError> check_metadata(const nlohmann::json& metadata) {
  if (!metadata.is_object())
    return ApiError::invalid("metadata must be an object of string values.", "metadata");
  if (metadata.size() > 16) return ApiError::invalid("metadata may hold at most 16 pairs.", "metadata");
  for (auto& [k, v] : metadata.items()) {
    if (k.size() > 64) return ApiError::invalid("metadata keys are at most 64 characters.", "metadata");
    if (!v.is_string() || v.get<std::string>().size() > 512)
      return ApiError::invalid("metadata values must be strings of at most 512 characters.", "metadata");
  }
  return std::nullopt;
}

// output_expires_after: {"anchor": "created_at", "seconds": 3600..2592000}; the anchor is the output file's
// creation (spec/openai-batch.md §3.1).
std::variant<std::int64_t, ApiError> output_expiry_seconds(const nlohmann::json& after) {
  if (!after.is_object())
    return ApiError::invalid(
        "output_expires_after must be an object {\"anchor\": \"created_at\", \"seconds\": N}.",
        "output_expires_after");
  auto anchor = after.find("anchor");
  if (anchor == after.end() || *anchor != "created_at")
    return ApiError::invalid("output_expires_after.anchor must be \"created_at\".",
                             "output_expires_after.anchor");
  auto seconds = after.find("seconds");
  if (seconds == after.end() || !seconds->is_number_integer() || seconds->get<std::int64_t>() < 3600 ||
      seconds->get<std::int64_t>() > 2592000)
    return ApiError::invalid(
        "output_expires_after.seconds must be a whole number from 3600 (1 hour) to 2592000 (30 days).",
        "output_expires_after.seconds");
  return seconds->get<std::int64_t>();
}

}  // namespace

std::variant<CreateBatchParams, ApiError> parse_create_batch(const nlohmann::json& body) {
  CreateBatchParams p;
  auto file = string_member(body, "input_file_id");
  if (!file)
    return ApiError::invalid("input_file_id is required: the id of a file uploaded with purpose=batch.",
                             "input_file_id");
  p.input_file_id = *file;
  auto endpoint = string_member(body, "endpoint");
  if (!endpoint || (*endpoint != "/v1/chat/completions" && *endpoint != "/v1/embeddings"))
    return ApiError::invalid("endpoint must be \"/v1/chat/completions\" or \"/v1/embeddings\".", "endpoint");
  p.endpoint = *endpoint;
  auto window = string_member(body, "completion_window");
  auto hours = window_hours(window);
  if (auto* e = std::get_if<ApiError>(&hours)) return *e;
  p.completion_window = *window;
  p.timeout_hours = std::get<int>(hours);
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (auto e = check_metadata(*it)) return *e;
    p.metadata_json = it->dump();
  }
  if (auto it = body.find("output_expires_after"); it != body.end() && !it->is_null()) {
    auto seconds = output_expiry_seconds(*it);
    if (auto* e = std::get_if<ApiError>(&seconds)) return *e;
    p.output_expires_seconds = std::get<std::int64_t>(seconds);
  }
  return p;
}

nlohmann::json batch_json(const storage::BatchRecord& b, std::optional<std::int64_t> queue_position) {
  nlohmann::json j = {
      {"id", b.id},
      {"object", "batch"},
      {"endpoint", b.endpoint},
      {"model", b.model},
      {"errors", nullptr},
      {"input_file_id", b.input_file_id},
      {"completion_window", b.completion_window},
      {"status", storage::to_string(b.status)},
      {"output_file_id", opt(b.output_file_id)},
      {"error_file_id", opt(b.error_file_id)},
      {"created_at", b.created_at},
      {"in_progress_at", opt(b.in_progress_at)},
      {"expires_at", opt(b.expires_at)},
      {"finalizing_at", opt(b.finalizing_at)},
      {"completed_at", opt(b.completed_at)},
      {"failed_at", opt(b.failed_at)},
      {"expired_at", opt(b.expired_at)},
      {"cancelling_at", opt(b.cancelling_at)},
      {"cancelled_at", opt(b.cancelled_at)},
      {"request_counts", {{"total", b.total}, {"completed", b.completed}, {"failed", b.failed}}},
      {"metadata", nullptr}};
  if (!b.errors_json.empty()) {
    auto errors = nlohmann::json::parse(b.errors_json, nullptr, false);
    if (!errors.is_discarded()) j["errors"] = {{"object", "list"}, {"data", errors}};
  }
  if (!b.metadata_json.empty()) {
    auto meta = nlohmann::json::parse(b.metadata_json, nullptr, false);
    if (!meta.is_discarded()) j["metadata"] = meta;
  }
  if (b.input_tokens > 0 || b.output_tokens > 0 || b.status == storage::BatchStatus::kCompleted)
    j["usage"] = {{"input_tokens", b.input_tokens},
                  {"input_tokens_details", {{"cached_tokens", 0}}},
                  {"output_tokens", b.output_tokens},
                  {"output_tokens_details", {{"reasoning_tokens", 0}}},
                  {"total_tokens", b.input_tokens + b.output_tokens}};
  if (queue_position && b.status == storage::BatchStatus::kValidating) j["queue_position"] = *queue_position;
  return j;
}

}  // namespace batchgate::api
