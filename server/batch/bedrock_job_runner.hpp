#pragma once
// The Bedrock batch job as a RecordRunner (spec/bedrock-batch.md §3–§8): one CreateModelInvocationJob per
// job with a clientRequestToken derived from the batch id (a retried or resumed submit never starts a
// second billed job), GetModelInvocationJob to follow it, StopModelInvocationJob to cancel it, and its
// {outputS3Uri}/{jobId}/{input}.out and manifest.json.out as the output.

#include <string>
#include <string_view>

#include "server/batch/aws_clients.hpp"
#include "server/batch/record_runner.hpp"

namespace batchgate::batch {

// Bedrock names derived from the batch id: the same on every try. Both avoid '_' (spec/bedrock-batch.md §2).
std::string client_request_token(std::string_view batch_id, std::int64_t job_index);
std::string job_name(std::string_view batch_id, std::int64_t job_index);

// Whether a StopModelInvocationJob refusal means there is nothing left to stop: ValidationException (the
// job already ended), ConflictException (its state is changing), or any "cannot be stopped" message.
bool stop_is_settled(const aws::BedrockError& error);

// Reads what a Bedrock job wrote under `output_folder` (its outputS3Uri): the manifest when there is one,
// then the .out file of `input_file_name` streamed to `sink`; when that file does not exist, every *.out the
// output folder holds (bedrock_job_output.cpp). Missing objects are no error: the report says what was
// found. `context` names the batch in log lines.
boost::asio::awaitable<ObjectResult<OutputReport>> read_bedrock_job_output(
    ObjectStore& objects, aws::S3Location output_folder, std::string job_id, std::string input_file_name,
    ObjectSink sink, std::string context);

class BedrockJobRunner final : public RecordRunner {
 public:
  static constexpr std::string_view kName = "bedrock_batch_job";

  explicit BedrockJobRunner(AwsClients& clients) : clients_(clients) {}

  std::string_view name() const override { return kName; }
  bool batch_priced() const override { return true; }
  bool counts_against_job_quota() const override { return true; }
  JobView view(std::string_view status) const override;
  storage::JobRecord plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                          const config::Model& model, std::int64_t index) const override;
  boost::asio::awaitable<RunnerResult<StartedJob>> submit(const storage::BatchRecord& batch,
                                                          const storage::JobRecord& job,
                                                          const config::Model& model) override;
  boost::asio::awaitable<RunnerResult<JobProgress>> poll(const storage::BatchRecord& batch,
                                                         const storage::JobRecord& job,
                                                         const config::Model& model) override;
  boost::asio::awaitable<RunnerResult<void>> stop(const storage::BatchRecord& batch, const storage::JobRecord& job,
                                                  const config::Model& model) override;
  boost::asio::awaitable<ObjectResult<OutputReport>> read_output(const storage::JobRecord& job,
                                                                 const config::Model& model,
                                                                 ObjectSink sink) override;

 private:
  AwsClients& clients_;
};

}  // namespace batchgate::batch
