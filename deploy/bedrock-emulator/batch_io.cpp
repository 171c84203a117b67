#include "batch_io.hpp"

#include <algorithm>
#include <cmath>

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

std::string generated_record_id(std::string_view file, std::size_t line) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uint64_t h = fnv1a64(std::string(file) + "#" + std::to_string(line));
  std::string id;
  for (int i = 0; i < 11; ++i) {
    id += kAlphabet[h % 36];
    h /= 36;
    if (h == 0) h = fnv1a64(id);
  }
  return id;
}

// Injected failures are chosen from the recordId, so reruns fail the same records.
bool injected_failure(std::string_view record_id, double rate) {
  if (rate <= 0.0) return false;
  return hashed_draw(std::string("fail:") + std::string(record_id)) < rate;
}

bool lost_record(std::string_view record_id, double fraction) {
  if (fraction <= 0.0) return false;
  return hashed_draw(std::string("lost:") + std::string(record_id)) < fraction;
}

std::string injected_message(int code) {
  switch (code) {
    case 429:
      return "Too many requests, please wait before trying again.";
    case 400:
      return "Malformed input request, please reformat your input and try again.";
    default:
      return "The system encountered an unexpected error during processing. Try your request again.";
  }
}

}  // namespace

std::variant<InputFile, std::string> parse_input_file(std::string name, std::string_view content) {
  InputFile file{std::move(name), {}};
  std::size_t line_no = 0;
  while (!content.empty()) {
    const auto eol = content.find('\n');
    std::string_view line = content.substr(0, eol);
    content = eol == std::string_view::npos ? std::string_view{} : content.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line_no) + " of " + file.name;
    json record = json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object()) {
      return "Invalid JSONL: " + where + " is not a valid JSON object.";
    }
    const auto input = record.find("modelInput");
    if (input == record.end() || !input->is_object()) {
      return "Invalid record: " + where + " has no modelInput object.";
    }
    std::string record_id;
    if (const auto id = record.find("recordId"); id != record.end()) {
      if (!id->is_string() || id->get_ref<const std::string&>().empty()) {
        return "Invalid record: " + where + " has a recordId that is not a non-empty string.";
      }
      record_id = id->get<std::string>();
    } else {
      record_id = generated_record_id(file.name, line_no);
    }
    file.records.push_back({std::move(record_id), std::move(*input)});
  }
  return file;
}

std::optional<std::string> check_record_count(std::int64_t count, const RecordLimits& limits) {
  if (count < limits.min_records) {
    return "The number of records in the input (" + std::to_string(count) + ") is less than the minimum of " +
           std::to_string(limits.min_records) + " records required for a batch inference job.";
  }
  if (count > limits.max_records) {
    return "The number of records in the input (" + std::to_string(count) + ") exceeds the maximum of " +
           std::to_string(limits.max_records) + " records per batch inference job.";
  }
  return std::nullopt;
}

RecordProcessor::RecordProcessor(ModelFamily family, bool converse, std::string model_id,
                                 std::vector<InputFile> files, ProcessingKnobs knobs)
    : family_(family),
      converse_(converse),
      model_id_(std::move(model_id)),
      files_(std::move(files)),
      knobs_(knobs) {
  lines_.resize(files_.size());
  for (const auto& file : files_) counts_.total += static_cast<std::int64_t>(file.records.size());
  const double fraction = std::clamp(knobs_.unprocessed_fraction, 0.0, 1.0);
  auto unprocessed = static_cast<std::int64_t>(std::llround(static_cast<double>(counts_.total) * fraction));
  if (fraction > 0.0 && unprocessed == 0 && counts_.total > 0) unprocessed = 1;
  planned_ = counts_.total - unprocessed;
  if (fails()) {
    const double share = std::clamp(knobs_.fail_after_fraction, 0.0, 1.0);
    planned_ = std::min(planned_,
                        static_cast<std::int64_t>(std::llround(static_cast<double>(counts_.total) * share)));
  }
}

void RecordProcessor::process(std::int64_t count) {
  while (count > 0 && !finished() && file_index_ < files_.size()) {
    const InputFile& file = files_[file_index_];
    if (record_index_ >= file.records.size()) {
      ++file_index_;
      record_index_ = 0;
      continue;
    }
    const InputRecord& record = file.records[record_index_++];
    RecordResult result =
        injected_failure(record.record_id, knobs_.record_failure_rate)
            ? record_error(injected_message(knobs_.record_failure_code), knobs_.record_failure_code)
            : run_record(family_, converse_, model_id_, record.model_input);
    json line{{"recordId", record.record_id}, {"modelInput", record.model_input}};
    if (result.ok()) {
      line["modelOutput"] = std::move(*result.output);
      ++counts_.success;
      counts_.input_tokens += result.input_tokens;
      counts_.output_tokens += result.output_tokens;
    } else {
      // `error` replaces `modelOutput` (spec §8.2).
      line["error"] = {{"errorCode", result.error_code}, {"errorMessage", result.error_message}};
      ++counts_.error;
    }
    // A lost record is counted (manifest, Get) but never reaches the .out file.
    if (!lost_record(record.record_id, knobs_.output_lost_fraction))
      lines_[file_index_].push_back(line.dump());
    ++counts_.processed;
    --count;
  }
}

std::vector<OutputObject> RecordProcessor::outputs() const {
  std::vector<OutputObject> out;
  for (std::size_t i = 0; i < files_.size(); ++i) {
    std::string body;
    for (const auto& line : lines_[i]) {
      body += line;
      body += '\n';
    }
    out.push_back({files_[i].name + ".out", std::move(body)});
  }
  out.push_back({"manifest.json.out", manifest_json(counts_).dump()});
  return out;
}

json manifest_json(const RecordCounts& counts) {
  return json{{"totalRecordCount", counts.total},       {"processedRecordCount", counts.processed},
              {"successRecordCount", counts.success},   {"errorRecordCount", counts.error},
              {"inputTokenCount", counts.input_tokens}, {"outputTokenCount", counts.output_tokens}};
}

std::optional<OutputLayout> parse_output_layout(std::string_view text) {
  if (text == "standard") return OutputLayout::kStandard;
  if (text == "renamed") return OutputLayout::kRenamed;
  if (text == "flat") return OutputLayout::kFlat;
  return std::nullopt;
}

std::string_view to_string(OutputLayout layout) {
  switch (layout) {
    case OutputLayout::kRenamed:
      return "renamed";
    case OutputLayout::kFlat:
      return "flat";
    case OutputLayout::kStandard:
      break;
  }
  return "standard";
}

std::string output_key(std::string_view output_prefix, std::string_view job_id, std::string_view name,
                       OutputLayout layout) {
  std::string key(output_prefix);
  while (!key.empty() && key.back() == '/') key.pop_back();
  if (!key.empty()) key += '/';
  if (layout != OutputLayout::kFlat) {
    key += job_id;
    key += '/';
  }
  constexpr std::string_view kRecordSuffix = ".jsonl.out";
  if (layout == OutputLayout::kRenamed && name != "manifest.json.out" && name.ends_with(kRecordSuffix)) {
    key += name.substr(0, name.size() - kRecordSuffix.size());
    key += ".results.jsonl.out";
    return key;
  }
  key += name;
  return key;
}

}  // namespace batchgate::bedrock_emulator
