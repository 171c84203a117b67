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

struct ProcessingKnobs {
  double record_failure_rate = 0.0;   // share of records answered with an injected error
  int record_failure_code = 500;      // its errorCode (400/429/500, spec §11.6)
  double unprocessed_fraction = 0.0;  // share left unprocessed → PartiallyCompleted
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
  // Records that will be processed before the job ends (total minus the unprocessed share).
  std::int64_t planned() const { return planned_; }
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
// trailing '/' (spec §8.2).
std::string output_key(std::string_view output_prefix, std::string_view job_id, std::string_view name);

}  // namespace batchgate::bedrock_emulator
