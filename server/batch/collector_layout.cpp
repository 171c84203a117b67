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

namespace {

constexpr std::string_view kManifestName = "manifest.json.out";

bool has_segment(std::string_view key, std::string_view segment) {
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    if (key.substr(start, end - start) == segment) return true;
    start = end + 1;
  }
  return false;
}

std::string_view base_name(std::string_view key) {
  auto slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

}  // namespace

DiscoveredOutput discover_output(const std::vector<std::string>& keys, std::string_view folder_key,
                                 std::string_view job_id) {
  auto below = [&](std::string_view key) {
    return key.starts_with(folder_key) ? key.substr(folder_key.size()) : std::string_view{};
  };
  bool any_of_job = false;
  for (const std::string& key : keys) any_of_job = any_of_job || has_segment(below(key), job_id);
  DiscoveredOutput found;
  for (const std::string& key : keys) {
    const std::string_view rest = below(key);
    const bool ours = any_of_job ? has_segment(rest, job_id) : rest.find('/') == std::string_view::npos;
    if (rest.empty() || !ours || !key.ends_with(".out")) continue;
    // The manifest is the job's counts, never records (spec/bedrock-batch.md §8.2).
    if (base_name(key) == kManifestName) {
      if (!found.manifest_key) found.manifest_key = key;
      continue;
    }
    found.output_keys.push_back(key);
  }
  return found;
}

std::optional<std::string> output_disagreement(const OutputTally& t) {
  if (t.manifest && t.records_read < t.manifest->processed_records) {
    return "Bedrock's manifest counts " + std::to_string(t.manifest->processed_records) +
           " processed records (" + std::to_string(t.manifest->success_records) + " succeeded, " +
           std::to_string(t.manifest->error_records) + " failed) but the job's output under " + t.location +
           " holds " + std::to_string(t.records_read) +
           " of them; the requests without a result are in the error file as missing_output.";
  }
  if (!t.manifest && !t.output_found && t.job_completed && t.records_sent > 0) {
    return "The Bedrock job completed but no output object (*.out) was found under " + t.location +
           "; every request is in the error file as missing_output.";
  }
  return std::nullopt;
}

}  // namespace batchgate::batch
