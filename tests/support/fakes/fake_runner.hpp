#pragma once
// A RecordRunner whose jobs do what the test scripts: the statuses successive polls report, refusals and
// failures of submit/poll/stop, and the Bedrock output lines a job leaves. It counts what it was asked, so
// tests can prove a job was started once, stopped once, and so on. Used from one io_context thread.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/batch/record_runner.hpp"

namespace batchgate::test {

struct Refusal {
  bool retryable = true;
  std::string code = "ThrottlingException";
  std::string message = "slow down";
  bool quota_full = false;  // a full job quota (RunnerError::quota_full)
};

class FakeRunner final : public batch::RecordRunner {
 public:
  // Status words: "pending", "running", "stopping", "failed", "completed", "partial" (completed, unprocessed
  // records batch_expired), "cancelled", "expired".
  std::string_view name() const override { return "fake"; }
  bool batch_priced() const override { return batch_priced_; }
  bool counts_against_job_quota() const override { return true; }
  batch::JobView view(std::string_view status) const override;
  storage::JobRecord plan(const storage::BatchRecord& batch, const storage::FileRecord& input,
                          const config::Model& model, std::int64_t index) const override;
  boost::asio::awaitable<batch::RunnerResult<batch::StartedJob>> submit(const storage::BatchRecord& batch,
                                                                        const storage::JobRecord& job,
                                                                        const config::Model& model) override;
  boost::asio::awaitable<batch::RunnerResult<batch::JobProgress>> poll(const storage::BatchRecord& batch,
                                                                       const storage::JobRecord& job,
                                                                       const config::Model& model) override;
  boost::asio::awaitable<batch::RunnerResult<void>> stop(const storage::BatchRecord& batch,
                                                         const storage::JobRecord& job,
                                                         const config::Model& model) override;
  boost::asio::awaitable<batch::ObjectResult<batch::OutputReport>> read_output(
      const storage::JobRecord& job, const config::Model& model, batch::ObjectSink sink) override;

  // What the polls of every job report, in order; the last one repeats.
  void script(std::vector<batch::JobProgress> polls) { script_.assign(polls.begin(), polls.end()); }
  void refuse_submits(int times, Refusal refusal = {}) { refusals_ = times, refusal_ = std::move(refusal); }
  void fail_polls(int times) { poll_failures_ = times; }
  // The output every ended job leaves (Bedrock output lines, '\n'-separated); nullopt: none at all.
  void output(std::optional<std::string> lines) { output_ = std::move(lines); }
  void set_batch_priced(bool priced) { batch_priced_ = priced; }
  // Each job reports "running" for `polls` polls of its own, then "completed" (instead of the script).
  void complete_each_job_after(int polls) { polls_per_job_ = polls; }

  int submit_calls() const { return submit_calls_; }
  // Distinct jobs started: a repeated submit with a token seen before starts nothing.
  int jobs_started() const { return int(started_.size()); }
  int stop_calls() const { return stop_calls_; }
  int poll_calls() const { return poll_calls_; }
  // Batch ids in the order their jobs started, and the most jobs that were running at once (started and not
  // yet reported ended by a poll).
  const std::vector<std::string>& start_order() const { return start_order_; }
  int peak_running() const { return peak_running_; }

 private:
  std::deque<batch::JobProgress> script_{
      {"running", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  int refusals_ = 0;
  Refusal refusal_;
  int poll_failures_ = 0;
  std::optional<std::string> output_;
  bool batch_priced_ = true;
  int submit_calls_ = 0;
  int stop_calls_ = 0;
  int poll_calls_ = 0;
  std::map<std::string, std::string> started_;  // token → job id
  std::optional<int> polls_per_job_;
  std::map<std::string, int> job_polls_;  // job id → polls so far (complete_each_job_after)
  std::set<std::string> running_;         // job ids started and not seen ended
  std::vector<std::string> start_order_;
  int peak_running_ = 0;
};

}  // namespace batchgate::test
