#pragma once
// The pure part of the collector (DESIGN.md "Results"): Bedrock output lines in, OpenAI batch output and
// error file lines out (spec/openai-batch.md §5). Asio-free; the S3 streaming lives in collector.hpp.
//
// Records are joined on recordId through the file's RecordMappings back to custom_id (spec/bedrock-batch.md
// §8.2: output order is not guaranteed). A request made of several records (an embeddings list input) is
// emitted once all its parts arrived; only such incomplete requests are held. Memory: the mappings plus the
// incomplete multi-part requests; the produced lines wait in two buffers the caller drains with
// take_output()/take_errors() after each chunk.
//
// raw_output (config Model::raw_output): a success line keeps OpenAI's envelope
// {id, custom_id, response:{status_code:200, request_id, body}, error:null} but `body` is Bedrock's output
// line itself ({"recordId","modelInput","modelOutput"}) for a one-record request, or the JSON array of those
// lines in part order for a multi-record (embeddings) request. Every record with a modelOutput is a success
// then, even one the translator cannot read (its tokens are not counted). Error and missing lines are the
// same as without raw_output.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/batch/collector_record.hpp"
#include "server/batch/record_index.hpp"
#include "server/common/ids.hpp"
#include "storage/records.hpp"
#include "translators/cost.hpp"
#include "translators/output_line.hpp"
#include "translators/translator.hpp"

namespace batchgate::batch {

struct CollectorOptions {
  std::string model;         // the model name the requests asked for (echoed in response bodies)
  std::string batch_id;      // for log messages
  std::int64_t created = 0;  // unix seconds for the response bodies' `created`
  bool raw_output = false;
};

struct CollectorCounts {
  std::int64_t total = 0;      // OpenAI requests in the file (distinct custom_ids)
  std::int64_t completed = 0;  // lines written to the output file
  std::int64_t failed = 0;     // lines written to the error file
  std::int64_t unknown_records = 0;    // output lines whose recordId is not in the mappings (ignored)
  std::int64_t duplicate_records = 0;  // output lines repeating a recordId already seen (ignored)
  std::int64_t malformed_lines = 0;    // non-blank lines that are not a record (ignored)
  std::int64_t missing_records = 0;    // records absent from Bedrock's output at finish()
  std::int64_t records_read = 0;       // distinct known records found in Bedrock's output

  bool operator==(const CollectorCounts&) const = default;
};

class CollectorCore {
 public:
  // `translator` and `ids` must outlive the core.
  CollectorCore(std::vector<storage::RecordMapping> mappings, const translators::Translator& translator,
                IdGenerator& ids, CollectorOptions options);
  // Views into mappings_ are kept: neither copied nor moved.
  CollectorCore(const CollectorCore&) = delete;
  CollectorCore& operator=(const CollectorCore&) = delete;

  // One line of the Bedrock .out file, without its '\n'. Blank lines are skipped.
  void add_line(std::string_view line);
  // A line that the splitter had to drop because it was too long: counted as malformed.
  void add_unreadable_line();
  // Emits an error line for every request still missing records; call once, after the last line.
  void finish(translators::MissingReason reason);

  // JSONL produced since the last call (each line ends with '\n'); the buffer is handed over.
  std::string take_output();
  std::string take_errors();

  const CollectorCounts& counts() const { return counts_; }
  // Tokens of the records that succeeded (spec/openai-batch.md §3.5 `usage`; spend = usage × price): every
  // successful request, plus the parts that ran of a multi-part request that failed (Bedrock bills them).
  // Failed and missing records count nothing.
  const translators::TokenUsage& usage() const { return usage_; }

 private:
  struct Request {
    std::string_view custom_id;  // into mappings_
    std::uint32_t first_record;  // its records are mappings_[first_record, first_record + parts), in part order
    std::uint32_t parts;
    std::uint32_t arrived = 0;
    bool emitted = false;
  };

  using Records = std::span<const std::optional<translators::JsonValue>>;

  void index_requests();
  void on_record(const BedrockOutputRecord& record);
  // A multi-part request's held parts, parsed again (nullopt for parts that never came), then emitted.
  void emit_held(std::uint32_t request_index, const std::vector<std::string>& parts,
                 translators::MissingReason reason);
  void emit(std::uint32_t request_index, Records records, translators::MissingReason reason);
  void emit_raw(std::string_view custom_id, const translators::LineIds& ids, Records records);
  void append(std::string_view line, bool is_error);
  translators::TokenUsage usage_of(Records records, const translators::ResponseContext& context) const;

  std::vector<storage::RecordMapping> mappings_;
  const translators::Translator& translator_;
  IdGenerator& ids_;
  CollectorOptions options_;
  // Rewritten for every request, so their strings keep their buffers (fewer allocations per line).
  translators::ResponseContext context_;
  translators::LineIds line_ids_;
  RecordReader reader_;
  std::vector<Request> requests_;
  std::vector<std::uint32_t> request_of_record_;  // by index into mappings_
  std::vector<bool> record_seen_;
  RecordIndex record_index_;  // recordId → index into mappings_
  // Incomplete multi-part requests: the text of their records so far, by part ("" until it arrives).
  std::unordered_map<std::uint32_t, std::vector<std::string>> pending_;
  simdjson::dom::parser parts_parser_;  // reads held parts again, each into its own document
  std::string output_;
  std::string errors_;
  CollectorCounts counts_;
  translators::TokenUsage usage_;
  bool finished_ = false;
};

}  // namespace batchgate::batch
