#include "server/files/batch_file_checker.hpp"

#include <algorithm>
#include <cstdio>

#include "server/common/utf8.hpp"
#include "translators/batch_line.hpp"
#include "translators/json_value.hpp"

namespace batchgate::files {
namespace {

// Bedrock recordIds we generate ourselves: custom_ids may hold characters Bedrock does not accept
// (spec/bedrock-batch.md §8.1), so the mapping back is stored with the file.
std::string record_id(std::int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "R%010lld", static_cast<long long>(index));
  return buf;
}

bool blank(std::string_view text) {
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

std::string configured_batch_models(const config::Settings& settings) {
  std::string out;
  for (const auto& m : settings.models) {
    if (!m.is_batch()) continue;
    if (!out.empty()) out += ", ";
    out += m.model_name;
  }
  return out.empty() ? "(none)" : out;
}

// The most output tokens one request may produce: embeddings none, chat what it asks for (the translator
// refuses values that are not positive whole numbers) or the model's default.
std::int64_t output_bound(translators::Endpoint endpoint, translators::JsonValue body,
                          int default_max_tokens) {
  if (endpoint == translators::Endpoint::kEmbeddings) return 0;
  for (const char* field : {"max_completion_tokens", "max_tokens"}) {
    if (auto v = translators::find_set(body, field))
      return std::max<std::int64_t>(0, std::int64_t(translators::as_double(*v)));
  }
  return default_max_tokens;
}

// The model's request options: its configured rules over the defaults for its Bedrock model id.
translators::RequestOptions request_options(const config::Model& model) {
  translators::RequestOptions options{model.max_tokens, model.drop_params, {}};
  options.rules = translators::default_model_rules(model.bedrock_model_id);
  if (model.max_output_tokens) options.rules.max_output_tokens = *model.max_output_tokens;
  if (model.exclusive_params) options.rules.exclusive_params = *model.exclusive_params;
  if (model.required_params) options.rules.required_params = *model.required_params;
  return options;
}

}  // namespace

BatchFileChecker::BatchFileChecker(const config::Settings& settings, ModelFilter may_use, CheckLimits limits,
                                   std::optional<std::string> pinned_model)
    : settings_(settings), may_use_(std::move(may_use)), limits_(limits), pinned_(std::move(pinned_model)) {}

void BatchFileChecker::problem(std::string code, std::string message, std::string param) {
  ++problem_count_;
  if (problems_.size() < limits_.max_reported)
    problems_.push_back({line_, std::move(code), std::move(message), std::move(param)});
}

bool BatchFileChecker::check_model(std::string_view model_name) {
  // Runs for every line: strings are built only for a problem.
  const char* param = pinned_ ? "target_model_names" : "body.model";
  auto quoted = [model_name] { return excerpt(model_name); };
  const config::Model* m = settings_.find_model(model_name);
  if (!m) {
    ++unknown_model_count_;
    problem("model_not_found",
            "Model " + quoted() + " is not configured for batches. Use one of: " +
                configured_batch_models(settings_) + " (or name one with target_model_names).",
            param);
    return false;
  }
  if (!m->is_batch()) {
    problem("model_not_batch", "Model " + quoted() + " is not configured with mode: batch.", param);
    return false;
  }
  if (!may_use_(model_name)) {
    problem("model_not_allowed", "This key may not use model " + quoted() + ".", param);
    return false;
  }
  return true;
}

void BatchFileChecker::add_line(std::string_view text, bool too_long, std::string& records) {
  ++line_;
  if (too_long) {
    problem("line_too_long", "This line is longer than the gateway accepts for one request.");
    return;
  }
  if (blank(text)) return;  // blank lines (a trailing newline, spacing) carry no request
  if (std::uint64_t(++requests_) > limits_.max_lines) {
    if (std::uint64_t(requests_) == limits_.max_lines + 1)
      problem("too_many_tasks", "The file has more than " + std::to_string(limits_.max_lines) +
                                    " requests; split it into several batches.");
    return;
  }
  auto parsed = translators::parse_batch_line(parser_, text);
  if (!parsed) {
    const auto& e = parsed.error();
    problem(e.code, e.message, e.param);
    return;
  }
  auto& line = *parsed;

  auto [seen, inserted] = custom_ids_.emplace(line.custom_id, line_);
  if (!inserted)
    problem("duplicate_custom_id",
            "custom_id " + excerpt(line.custom_id) + " was already used on line " +
                std::to_string(seen->second) + "; every custom_id must be unique within the file.",
            "custom_id");

  if (!endpoint_) {
    endpoint_ = line.endpoint;
    endpoint_line_ = line_;
  } else if (*endpoint_ != line.endpoint) {
    problem("url_mismatch",
            "url " + std::string(translators::endpoint_url(line.endpoint)) + " differs from " +
                std::string(translators::endpoint_url(*endpoint_)) + " on line " +
                std::to_string(endpoint_line_) + "; every line of a batch uses the same url.",
            "url");
    return;
  }

  const std::string_view wanted = pinned_ ? std::string_view(*pinned_) : line.model;
  if (first_model_.empty()) {
    first_model_ = wanted;
    model_line_ = line_;
  }
  if (!check_model(wanted)) return;
  if (wanted != first_model_) {
    problem("model_mismatch",
            "body.model " + excerpt(wanted) + " differs from " + excerpt(first_model_) + " on line " +
                std::to_string(model_line_) + "; every line of a batch uses the same model.",
            "body.model");
    return;
  }
  if (!model_) {
    model_ = settings_.find_model(wanted);
    translator_ = translators::find_translator(model_->bedrock_model_id, line.endpoint);
    options_ = request_options(*model_);
  }
  if (!translator_) {
    problem("unsupported_endpoint",
            "Model '" + model_->model_name + "' (" + model_->bedrock_model_id + ") does not serve " +
                std::string(translators::endpoint_url(line.endpoint)) + ".",
            "url");
    return;
  }

  auto translated = translator_->to_bedrock(line.body, options_);
  if (translated.error) {
    problem(translated.error->code, translated.error->message, translated.error->param);
    return;
  }
  if (!ok()) return;  // the file is refused anyway: keep checking, stop producing records
  const auto parts = std::int64_t(translated.model_inputs.size());
  const auto hints = translators::hints_to_bits(translated.hints);
  max_output_tokens_ += output_bound(line.endpoint, line.body, model_->max_tokens);
  for (const auto& input : translated.model_inputs)
    estimated_input_tokens_ += std::int64_t(input.size() + 2) / 3;
  for (std::int64_t part = 0; part < parts; ++part) {
    std::string id = record_id(std::int64_t(mappings_.size()) + 1);
    translators::append_bedrock_record_line(records, id, translated.model_inputs[size_t(part)]);
    records += '\n';
    mappings_.push_back({std::move(id), std::string(line.custom_id), line_, part, parts, hints});
  }
}

void BatchFileChecker::finish() {
  if (requests_ == 0 && problem_count_ == 0) {
    line_ = 0;
    problem("empty_file", "The file has no requests: each line must be one JSON request object.");
  }
}

}  // namespace batchgate::files
