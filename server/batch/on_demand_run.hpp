#pragma once
// One on-demand job's records being run in this process (on_demand_runner.hpp): reads the job's Bedrock
// records, skips those already answered, and invokes the rest in `concurrency` lanes that share the model's
// call slots; every answer is stored as it arrives (a few at a time while a save is in flight). Throttling
// and 5xx are retried with backoff until the job's deadline; an answer that is an error for good (a request
// the model refuses) becomes the record's error line.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/aws/bedrock_runtime_client.hpp"
#include "server/batch/batch_core.hpp"

namespace batchgate::batch {

// InvokeModel for a model (the runtime client in production, a fake in tests).
using Invoker = std::function<boost::asio::awaitable<aws::BedrockResult<aws::InvokeResult>>(
    const config::Model& model, std::string body)>;

// A model's InvokeModel calls in flight across all its jobs (on_demand_concurrency). Thread-safe.
class CallSlots {
 public:
  CallSlots(boost::asio::any_io_executor executor, int slots);
  boost::asio::awaitable<void> acquire();
  void release();

 private:
  boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> tokens_;
};

struct OnDemandOptions {
  std::chrono::milliseconds retry_base{500};  // first wait before a throttled record is tried again
  std::chrono::milliseconds retry_max{20'000};
  std::int64_t poll_every = 1;  // seconds between the lifecycle's polls of a running job
};

class OnDemandRun : public std::enable_shared_from_this<OnDemandRun> {
 public:
  enum class State { kRunning, kCompleted, kStopped, kExpired, kInterrupted };

  struct Setup {
    std::string batch_id;
    std::int64_t job_index = 0;
    std::string input_uri;      // the job's Bedrock records
    std::int64_t deadline = 0;  // unix seconds: the batch's completion window ends
    const config::Model* model = nullptr;
  };

  OnDemandRun(Setup setup, const CoreDeps& deps, const Invoker& invoke, CallSlots& slots,
              OnDemandOptions options, boost::asio::any_io_executor executor, std::function<void()> ended);

  void start();
  void request_stop() { stop_ = true; }

  State state() const { return state_; }
  std::int64_t answered() const { return answered_; }
  std::int64_t failed() const { return failed_; }
  std::string problem() const;

 private:
  struct Record {
    std::string id;
    std::string input;  // the modelInput JSON
    int attempts = 0;
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> load();
  boost::asio::awaitable<void> lane();
  boost::asio::awaitable<void> save();
  boost::asio::awaitable<void> pause(std::chrono::milliseconds delay);
  void answer(std::size_t index, const aws::BedrockResult<aws::InvokeResult>& result);
  bool retry_later(const aws::BedrockError& error) const;
  std::chrono::milliseconds retry_delay(int attempts) const;
  void set_problem(std::string problem);

  Setup setup_;
  const CoreDeps& deps_;
  const Invoker& invoke_;
  CallSlots& slots_;
  OnDemandOptions options_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::function<void()> ended_;

  std::atomic<bool> stop_{false};
  std::atomic<State> state_{State::kRunning};
  std::atomic<std::int64_t> answered_{0};
  std::atomic<std::int64_t> failed_{0};
  mutable std::mutex problem_mutex_;
  std::string problem_;

  // On the strand only.
  std::vector<Record> records_;
  std::deque<std::size_t> pending_;
  std::vector<storage::RecordResult> unsaved_;
  bool saving_ = false;
  bool finished_ = false;  // the run has ended: answers arriving later are dropped
  int lanes_ = 0;
  std::unique_ptr<boost::asio::steady_timer> lanes_done_;
};

// A Bedrock batch output line for a record's answer or its error (spec/bedrock-batch.md §8.2), the shape the
// collector reads. Pure.
std::string answer_line(std::string_view record_id, std::string_view model_input,
                        std::string_view model_output);
std::string error_line(std::string_view record_id, std::string_view model_input, int error_code,
                       std::string_view message);

}  // namespace batchgate::batch
