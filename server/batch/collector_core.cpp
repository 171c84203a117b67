#include "server/batch/collector_core.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>

#include "translators/json_writer.hpp"

namespace batchgate::batch {
namespace {

using translators::JsonValue;
using translators::MissingReason;
using translators::OutputLine;
using translators::TokenUsage;

// A broken or foreign output file could repeat the same problem 50,000 times: log the first few, then
// only the totals at finish().
constexpr std::int64_t kLoggedPerKind = 5;

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

bool is_success_record(const std::optional<JsonValue>& record) {
  if (!record || !record->is_object() || translators::find_set(*record, "error")) return false;
  return record->at_key("modelOutput").error() == simdjson::SUCCESS;
}

}  // namespace

CollectorCore::CollectorCore(std::vector<storage::RecordMapping> mappings,
                             const translators::Translator& translator, IdGenerator& ids,
                             CollectorOptions options)
    : mappings_(std::move(mappings)),
      translator_(translator),
      ids_(ids),
      options_(std::move(options)),
      context_{options_.model, {}, options_.created, {}},
      record_index_(mappings_.size()) {
  index_requests();
}

// Groups the mappings into requests: one request per (line, custom_id), its records in part order and
// contiguous, so a request is a range of mappings_. The string_views in requests_ and record_index_ point
// into mappings_, which is never resized afterwards.
void CollectorCore::index_requests() {
  const auto request_order = [](const auto& a, const auto& b) {
    return std::tie(a.line, a.custom_id, a.part) < std::tie(b.line, b.custom_id, b.part);
  };
  // The store hands them over in recordId order, which is line and part order already: checking is cheaper
  // than a merge sort that moves every mapping (~3 % of collecting 100,000 records).
  if (!std::is_sorted(mappings_.begin(), mappings_.end(), request_order)) {
    std::stable_sort(mappings_.begin(), mappings_.end(), request_order);
  }
  request_of_record_.resize(mappings_.size());
  record_seen_.assign(mappings_.size(), false);
  for (std::uint32_t i = 0; i < mappings_.size(); ++i) {
    const storage::RecordMapping& m = mappings_[i];
    bool same_request = i > 0 && mappings_[i - 1].line == m.line && mappings_[i - 1].custom_id == m.custom_id;
    if (same_request) {
      ++requests_.back().parts;
    } else {
      requests_.push_back(Request{m.custom_id, i, 1});
    }
    request_of_record_[i] = std::uint32_t(requests_.size() - 1);
    if (!record_index_.insert(m.record_id, i)) {
      spdlog::warn("batch {}: recordId {} is mapped twice; the second mapping is ignored", options_.batch_id,
                   m.record_id);
    }
  }
  counts_.total = std::int64_t(requests_.size());
}

void CollectorCore::add_line(std::string_view line) {
  assert(!finished_);
  if (blank(line)) return;
  std::optional<BedrockOutputRecord> record = reader_.read(line);
  if (!record) {
    add_unreadable_line();
    return;
  }
  on_record(*record);
}

void CollectorCore::add_unreadable_line() {
  if (++counts_.malformed_lines <= kLoggedPerKind) {
    spdlog::warn("batch {}: a line of Bedrock's output is not a record with a recordId; ignored",
                 options_.batch_id);
  }
}

void CollectorCore::on_record(const BedrockOutputRecord& record) {
  std::optional<std::uint32_t> found = record_index_.find(record.record_id);
  if (!found) {
    if (++counts_.unknown_records <= kLoggedPerKind) {
      spdlog::warn("batch {}: Bedrock output has unknown recordId {}; ignored", options_.batch_id,
                   record.record_id);
    }
    return;
  }
  const std::uint32_t index = *found;
  if (record_seen_[index]) {
    if (++counts_.duplicate_records <= kLoggedPerKind) {
      spdlog::warn("batch {}: Bedrock output repeats recordId {}; the first one is kept", options_.batch_id,
                   record.record_id);
    }
    return;
  }
  record_seen_[index] = true;
  ++counts_.records_read;
  const std::uint32_t request_index = request_of_record_[index];
  Request& request = requests_[request_index];
  if (request.parts == 1) {
    request.arrived = 1;
    const std::optional<JsonValue> records[] = {record.record};
    emit(request_index, records, MissingReason::kMissingOutput);
    return;
  }
  // The reader's document is gone with the next line: an earlier part waits as text.
  std::vector<std::string>& parts = pending_[request_index];
  if (parts.empty()) parts.resize(request.parts);
  parts[index - request.first_record] = std::string(record.text);
  if (++request.arrived < request.parts) return;
  std::vector<std::string> complete = std::move(parts);
  pending_.erase(request_index);
  emit_held(request_index, complete, MissingReason::kMissingOutput);
}

void CollectorCore::finish(MissingReason reason) {
  assert(!finished_);
  finished_ = true;
  for (std::uint32_t i = 0; i < requests_.size(); ++i) {
    Request& request = requests_[i];
    if (request.emitted) continue;
    counts_.missing_records += request.parts - request.arrived;
    if (auto held = pending_.find(i); held != pending_.end()) {
      std::vector<std::string> parts = std::move(held->second);
      pending_.erase(held);
      emit_held(i, parts, reason);
      continue;
    }
    const std::vector<std::optional<JsonValue>> none(request.parts);
    emit(i, none, reason);
  }
  if (counts_.unknown_records + counts_.duplicate_records + counts_.malformed_lines + counts_.missing_records >
      0) {
    spdlog::warn(
        "batch {}: Bedrock output had {} unknown recordIds, {} duplicates, {} unreadable lines; {} records "
        "missing ({})",
        options_.batch_id, counts_.unknown_records, counts_.duplicate_records, counts_.malformed_lines,
        counts_.missing_records, translators::missing_reason_code(reason));
  }
}

void CollectorCore::emit_held(std::uint32_t request_index, const std::vector<std::string>& parts,
                              MissingReason reason) {
  std::vector<simdjson::dom::document> documents(parts.size());
  std::vector<std::optional<JsonValue>> records(parts.size());
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (parts[p].empty()) continue;  // never arrived
    JsonValue record;
    // The reader accepted this text before, so it parses again.
    if (parts_parser_.parse_into_document(documents[p], parts[p]).get(record) == simdjson::SUCCESS) {
      records[p] = record;
    }
  }
  emit(request_index, records, reason);
}

void CollectorCore::emit(std::uint32_t request_index, Records records, MissingReason reason) {
  Request& request = requests_[request_index];
  request.emitted = true;
  const storage::RecordMapping& first = mappings_[request.first_record];
  translators::LineIds& ids = line_ids_;
  ids.line_id.assign("batch_req_").append(ids_.base62(24));
  const bool ran = std::any_of(records.begin(), records.end(), [](const auto& r) { return r.has_value(); });
  if (!ran) {
    append(translators::missing_line(request.custom_id, ids.line_id, reason), true);
    return;
  }
  ids.request_id = ids_.request_id();
  translators::ResponseContext& context = context_;
  context.hints = translators::hints_from_bits(first.hints);
  if (translator_.endpoint() == translators::Endpoint::kChatCompletions) {
    context.response_id.assign("chatcmpl-").append(ids_.base62(24));
  }
  const bool all_succeeded = std::all_of(records.begin(), records.end(), is_success_record);
  if (options_.raw_output && all_succeeded) {
    usage_ += usage_of(records, context);
    emit_raw(request.custom_id, ids, records);
    return;
  }
  // Records of a failed multi-part request that did run were billed by Bedrock: count their tokens.
  if (!all_succeeded && records.size() > 1) usage_ += usage_of(records, context);
  OutputLine line =
      translators::build_output_line(request.custom_id, records, translator_, context, ids, reason);
  if (!line.is_error) usage_ += line.usage;
  append(line.line, line.is_error);
}

// raw_output: the body is Bedrock's record itself, or the array of the records in part order.
void CollectorCore::emit_raw(std::string_view custom_id, const translators::LineIds& ids, Records records) {
  std::string body;
  translators::JsonWriter writer(body);
  if (records.size() > 1) writer.begin_array();
  for (const std::optional<JsonValue>& record : records) writer.value(*record);
  if (records.size() > 1) writer.end_array();
  append(translators::success_line(custom_id, ids, body), false);
}

// Tokens of the records that have a modelOutput, each translated on its own.
TokenUsage CollectorCore::usage_of(Records records, const translators::ResponseContext& context) const {
  TokenUsage usage;
  for (const std::optional<JsonValue>& record : records) {
    JsonValue output;
    if (!is_success_record(record)) continue;
    if (record->at_key("modelOutput").get(output) != simdjson::SUCCESS) continue;
    translators::ResponseTranslation translation = translator_.to_openai(std::span(&output, 1), context);
    if (!translation.error) usage += translation.usage;
  }
  return usage;
}

void CollectorCore::append(std::string_view line, bool is_error) {
  if (is_error) {
    ++counts_.failed;
    (errors_ += line) += '\n';
    return;
  }
  ++counts_.completed;
  (output_ += line) += '\n';
}

std::string CollectorCore::take_output() {
  return std::exchange(output_, {});
}

std::string CollectorCore::take_errors() {
  return std::exchange(errors_, {});
}

}  // namespace batchgate::batch
