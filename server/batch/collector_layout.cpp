#include "server/batch/collector_layout.hpp"

#include <nlohmann/json.hpp>

namespace batchgate::batch {
namespace {

std::string_view trim_slashes(std::string_view text) {
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return text;
}

std::string job_folder(std::string_view out_prefix, std::string_view job_id) {
  std::string key(trim_slashes(out_prefix));
  if (!key.empty()) key += '/';
  key += job_id;
  key += '/';
  return key;
}

std::int64_t count(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return 0;
  if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
  return it->get<std::int64_t>();
}

}  // namespace

std::string job_id_from_arn(std::string_view job_arn) {
  auto slash = job_arn.rfind('/');
  return std::string(slash == std::string_view::npos ? job_arn : job_arn.substr(slash + 1));
}

std::string bedrock_output_key(std::string_view out_prefix, std::string_view job_id,
                               std::string_view input_file_name) {
  return job_folder(out_prefix, job_id) + std::string(trim_slashes(input_file_name)) + ".out";
}

std::string bedrock_manifest_key(std::string_view out_prefix, std::string_view job_id) {
  return job_folder(out_prefix, job_id) + "manifest.json.out";
}

std::optional<BedrockManifest> parse_manifest(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  BedrockManifest manifest;
  manifest.total_records = count(doc, "totalRecordCount");
  manifest.processed_records = count(doc, "processedRecordCount");
  manifest.success_records = count(doc, "successRecordCount");
  manifest.error_records = count(doc, "errorRecordCount");
  manifest.input_tokens = count(doc, "inputTokenCount");
  manifest.output_tokens = count(doc, "outputTokenCount");
  return manifest;
}

}  // namespace batchgate::batch
