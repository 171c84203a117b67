#pragma once
// Checks and translates an OpenAI batch input file line by line as it streams in (spec/openai-batch.md §4):
// every line on its own (JSON, custom_id, method, url, body.model), across lines (custom_id unique, one url
// and one model per file, the line limit), the model (configured, mode batch, allowed for the caller, has a
// translator for the url), then the translation into Bedrock records. Asio-free.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/settings.hpp"
#include "storage/records.hpp"
#include "translators/translator.hpp"

namespace batchgate::files {

struct LineProblem {
  std::int64_t line = 0;  // 1-based
  std::string code;
  std::string message;
  std::string param;
};

struct CheckLimits {
  std::uint64_t max_lines = 50000;
  std::size_t max_reported = 100;  // problems kept for the error response; all are counted
};

class BatchFileChecker {
 public:
  using ModelFilter = std::function<bool(std::string_view model_name)>;

  // `may_use` says whether the caller's key may use a model. `pinned_model` (from target_model_names) makes
  // every line use that model whatever its body.model says.
  BatchFileChecker(const config::Settings& settings, ModelFilter may_use, CheckLimits limits,
                   std::optional<std::string> pinned_model = std::nullopt);

  // Checks one line (the line splitter's output) and appends its Bedrock records, each ending in '\n', to
  // `records`. Once any line failed, nothing more is appended: the file will be refused.
  void add_line(std::string_view text, bool too_long, std::string& records);
  // Call after the last line: an empty file is a problem too.
  void finish();

  bool ok() const { return problem_count_ == 0; }
  const std::vector<LineProblem>& problems() const { return problems_; }
  std::int64_t problem_count() const { return problem_count_; }
  // True when the only problems are models this gateway does not know: a later target_model_names may
  // still make the file valid.
  bool only_unknown_models() const { return problem_count_ > 0 && problem_count_ == unknown_model_count_; }

  const config::Model* model() const { return model_; }
  std::string model_name() const { return model_ ? model_->model_name : std::string(); }
  std::optional<translators::Endpoint> endpoint() const { return endpoint_; }
  std::int64_t line_count() const { return line_; }
  std::int64_t request_count() const { return requests_; }
  std::int64_t record_count() const { return std::int64_t(mappings_.size()); }
  std::vector<storage::RecordMapping>& mappings() { return mappings_; }
  // Upper bounds for budgets: input tokens estimated from the records' size (one token per 3 bytes of
  // Bedrock input: more than any tokenizer gives for English, near it for other scripts), output tokens the
  // sum of each request's max_completion_tokens / max_tokens or the model's default.
  std::int64_t estimated_input_tokens() const { return estimated_input_tokens_; }
  std::int64_t max_output_tokens() const { return max_output_tokens_; }

 private:
  void problem(std::string code, std::string message, std::string param = {});
  // Reports the problem and returns false when the caller may not batch with this model.
  bool check_model(std::string_view model_name);

  const config::Settings& settings_;
  ModelFilter may_use_;
  CheckLimits limits_;
  std::optional<std::string> pinned_;

  std::int64_t line_ = 0;
  std::int64_t requests_ = 0;
  std::vector<LineProblem> problems_;
  std::int64_t problem_count_ = 0;
  std::int64_t unknown_model_count_ = 0;
  std::unordered_map<std::string, std::int64_t> custom_ids_;  // custom_id → line first seen
  std::optional<translators::Endpoint> endpoint_;
  std::int64_t endpoint_line_ = 0;
  std::string first_model_;  // body.model of the first line
  std::int64_t model_line_ = 0;
  const config::Model* model_ = nullptr;
  const translators::Translator* translator_ = nullptr;
  translators::RequestOptions options_;  // of model_: max_tokens default, drop_params, its rules
  std::vector<storage::RecordMapping> mappings_;
  std::int64_t estimated_input_tokens_ = 0;
  std::int64_t max_output_tokens_ = 0;
  simdjson::dom::parser parser_;  // reused for every line: it keeps its buffers
};

}  // namespace batchgate::files
