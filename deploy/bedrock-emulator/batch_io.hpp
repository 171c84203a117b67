#pragma once

// The data side of a job (spec/bedrock-batch.md §8): parsing and checking input JSONL during Validating,
// running records through the fake models, and rendering `{file}.out` lines and `manifest.json.out`.
// Pure: the server reads and writes the bytes from and to S3.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fake_models.hpp"
#include "job_store.hpp"
#include "server/aws/s3_uri.hpp"

namespace batchgate::bedrock_emulator {

struct InputRecord {
  std::string record_id;
  nlohmann::json model_input;
};

struct InputFile {
  std::string name;  // path relative to the input prefix ("input.jsonl"); the output is name + ".out"
  std::vector<InputRecord> records;
};

// Parses one input file. A blank line is skipped; any other line must be a JSON object with a
// `modelInput` object, otherwise the job fails with the returned message. A missing recordId gets a
// generated 11-character one (spec §8.1).
std::variant<InputFile, std::string> parse_input_file(std::string name, std::string_view content);

struct RecordLimits {
  std::int64_t min_records = 100;    // spec §9
  std::int64_t max_records = 50000;  // spec §9
};

// The job-level failure message when the total record count is outside the limits.
std::optional<std::string> check_record_count(std::int64_t count, const RecordLimits& limits);

// Where a job's output objects go. AWS promises only "one output file per input file plus
// manifest.json.out in the output location" (spec §8.2); the folder and the names are observed behaviour,
// so the emulator can write them otherwise.
enum class OutputLayout {
  kStandard,  // {outputS3Uri}/{jobId}/{input}.out and {outputS3Uri}/{jobId}/manifest.json.out
  kRenamed,   // {outputS3Uri}/{jobId}/{input stem}.results.jsonl.out (the manifest keeps its name)
  kFlat,      // {outputS3Uri}/{input}.out and {outputS3Uri}/manifest.json.out: no job folder
};
std::optional<OutputLayout> parse_output_layout(std::string_view text);
std::string_view to_string(OutputLayout layout);

struct ProcessingKnobs {
  double record_failure_rate = 0.0;   // share of records answered with an injected error
  int record_failure_code = 500;      // its errorCode (400/429/500, spec §11.6)
  double unprocessed_fraction = 0.0;  // share left unprocessed → PartiallyCompleted
  // > 0: the job fails (status Failed) once this share of its records was processed; what it processed is
  // written, as a real job that fails part-way leaves partial output.
  double fail_after_fraction = 0.0;
  // Share of processed records left out of the .out files while the manifest still counts them (chosen
  // by recordId): output and manifest disagree.
  double output_lost_fraction = 0.0;
  OutputLayout output_layout = OutputLayout::kStandard;
};

struct OutputObject {
  std::string name;  // relative to {outputS3Uri}/{jobId}/
  std::string body;
};

class RecordProcessor {
 public:
  RecordProcessor(ModelFamily family, bool converse, std::string model_id, std::vector<InputFile> files,
                  ProcessingKnobs knobs);

  std::int64_t total() const { return counts_.total; }
  // Records that will be processed before the job ends (total minus the unprocessed share, or the share
  // processed before an injected failure).
  std::int64_t planned() const { return planned_; }
  // The job fails once planned() records were processed (ProcessingKnobs::fail_after_fraction).
  bool fails() const { return knobs_.fail_after_fraction > 0.0; }
  bool finished() const { return counts_.processed >= planned_; }
  // Processes up to `count` further records.
  void process(std::int64_t count);
  const RecordCounts& counts() const { return counts_; }
  // One `.out` object per input file (only processed records) and `manifest.json.out`.
  std::vector<OutputObject> outputs() const;

 private:
  ModelFamily family_;
  bool converse_;
  std::string model_id_;
  std::vector<InputFile> files_;
  ProcessingKnobs knobs_;
  std::vector<std::vector<std::string>> lines_;  // per file, output lines so far
  std::size_t file_index_ = 0;
  std::size_t record_index_ = 0;
  std::int64_t planned_ = 0;
  RecordCounts counts_;
};

nlohmann::json manifest_json(const RecordCounts& counts);

// "s3://bucket/a/b" URIs are read with aws::parse_s3_uri (server/aws/s3_uri.hpp).
using aws::parse_s3_uri;
using aws::S3Location;

// Key of an output object: {outputS3Uri}/{jobId}/{name}, the URI taken as a prefix with or without its
// trailing '/' (spec §8.2), or where `layout` puts it instead.
std::string output_key(std::string_view output_prefix, std::string_view job_id, std::string_view name,
                       OutputLayout layout = OutputLayout::kStandard);

}  // namespace batchgate::bedrock_emulator
