#include "server/batch/on_demand_run.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "server/common/blocking.hpp"
#include "server/common/line_splitter.hpp"

namespace batchgate::batch {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::size_t kMaxRecordLine = 64 << 20;
constexpr int kSaveAttempts = 5;

double jitter() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.0)(engine);
}

}  // namespace

std::string answer_line(std::string_view record_id, std::string_view model_input,
                        std::string_view model_output) {
  std::string line = R"({"recordId":)" + nlohmann::json(std::string(record_id)).dump() + R"(,"modelInput":)";
  line += model_input;
  line += R"(,"modelOutput":)";
  line += model_output;
  line += '}';
  return line;
}

std::string error_line(std::string_view record_id, std::string_view model_input, int error_code,
                       std::string_view message) {
  std::string line = R"({"recordId":)" + nlohmann::json(std::string(record_id)).dump() + R"(,"modelInput":)";
  line += model_input;
  line += R"(,"error":{"errorCode":)" + std::to_string(error_code) + R"(,"errorMessage":)";
  line += nlohmann::json(std::string(message)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += "}}";
  return line;
}

CallSlots::CallSlots(asio::any_io_executor executor, int slots) : tokens_(executor, std::size_t(slots)) {
  for (int i = 0; i < slots; ++i) tokens_.try_send(boost::system::error_code{});
}

awaitable<void> CallSlots::acquire() {
  boost::system::error_code ec;
  co_await tokens_.async_receive(asio::redirect_error(asio::use_awaitable, ec));
}

void CallSlots::release() {
  tokens_.try_send(boost::system::error_code{});
}

OnDemandRun::OnDemandRun(Setup setup, const CoreDeps& deps, const Invoker& invoke, CallSlots& slots,
                         OnDemandOptions options, asio::any_io_executor executor, std::function<void()> ended)
    : setup_(std::move(setup)),
      deps_(deps),
      invoke_(invoke),
      slots_(slots),
      options_(options),
      strand_(asio::make_strand(executor)),
      ended_(std::move(ended)) {}

void OnDemandRun::start() {
  asio::co_spawn(strand_, run(), asio::detached);
}

std::string OnDemandRun::problem() const {
  std::lock_guard lock(problem_mutex_);
  return problem_;
}

void OnDemandRun::set_problem(std::string problem) {
  spdlog::warn("on demand: batch {}: {}", setup_.batch_id, problem);
  std::lock_guard lock(problem_mutex_);
  problem_ = std::move(problem);
}

awaitable<void> OnDemandRun::run() {
  auto self = shared_from_this();
  try {
    if (!co_await load()) {
      state_ = State::kInterrupted;
      ended_();
      co_return;
    }
    const std::size_t lanes =
        std::min<std::size_t>(std::size_t(setup_.model->on_demand_concurrency), pending_.size());
    lanes_ = int(lanes);
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t answered_before = answered_;
    lanes_done_ = std::make_unique<asio::steady_timer>(strand_);
    for (std::size_t i = 0; i < lanes; ++i) asio::co_spawn(strand_, lane(), asio::detached);
    // The lanes end when every record is answered or a stop came; at the deadline the run ends without
    // waiting for the calls still in flight (their late answers are dropped).
    while (lanes_ > 0 && deps_.clock.now_seconds() < setup_.deadline) {
      lanes_done_->expires_after(std::chrono::milliseconds(200));
      boost::system::error_code ec;
      co_await lanes_done_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::int64_t answered_now = answered_ - answered_before;
    spdlog::info("on demand: batch {}: {} records answered in {:.3f} s ({:.1f} per second, {} calls at once)",
                 setup_.batch_id, answered_now, seconds, seconds > 0 ? double(answered_now) / seconds : 0.0, lanes);
    while (saving_ || !unsaved_.empty()) {
      if (!saving_) co_await save();
      if (saving_) co_await pause(std::chrono::milliseconds(20));
      if (!unsaved_.empty() && !saving_) break;  // saving failed for good
    }
  } catch (const std::exception& e) {
    set_problem(std::string("running the records failed: ") + e.what());
  }
  finished_ = true;
  const bool all_answered =
      std::size_t(answered_) == records_.size() && unsaved_.empty() && !records_.empty();
  if (all_answered)
    state_ = State::kCompleted;
  else if (stop_)
    state_ = State::kStopped;
  else if (deps_.clock.now_seconds() >= setup_.deadline)
    state_ = State::kExpired;
  else
    state_ = State::kInterrupted;
  ended_();
}

// The job's records and which of them already have an answer.
awaitable<bool> OnDemandRun::load() {
  auto where = aws::parse_s3_uri(setup_.input_uri);
  if (!where) {
    set_problem("the job's input '" + setup_.input_uri + "' is not an S3 URI");
    co_return false;
  }
  LineSplitter splitter(kMaxRecordLine);
  simdjson::dom::parser parser;
  bool malformed = false;
  auto take = [&](const LineSplitter::Line& line) {
    if (line.text.empty() && !line.too_long) return;
    simdjson::dom::element record;
    std::string_view id;
    simdjson::dom::element input;
    if (line.too_long || parser.parse(line.text).get(record) || record["recordId"].get(id) ||
        record["modelInput"].get(input)) {
      malformed = true;
      return;
    }
    records_.push_back({std::string(id), simdjson::minify(input), 0});
  };
  ObjectSink sink = [&](std::string_view chunk) -> awaitable<bool> {
    splitter.feed(chunk);
    while (auto line = splitter.next_line()) take(*line);
    co_return true;
  };
  auto read = co_await deps_.objects(*setup_.model).read(*where, std::move(sink));
  if (!read) {
    set_problem("reading " + setup_.input_uri + " failed: " + read.error().to_string());
    co_return false;
  }
  if (auto line = splitter.finish()) take(*line);
  if (malformed) {
    set_problem(setup_.input_uri + " holds a line that is not a Bedrock record");
    co_return false;
  }
  auto done = co_await run_blocking(
      deps_.blocking, [&] { return deps_.store.answered_records(setup_.batch_id, setup_.job_index); });
  auto counts = co_await run_blocking(
      deps_.blocking, [&] { return deps_.store.record_result_counts(setup_.batch_id, setup_.job_index); });
  if (!done || !counts) {
    set_problem("reading the answers stored so far failed");
    co_return false;
  }
  const std::set<std::int64_t> answered(done->begin(), done->end());
  for (std::size_t i = 0; i < records_.size(); ++i)
    if (!answered.contains(std::int64_t(i))) pending_.push_back(i);
  answered_ = counts->answered;
  failed_ = counts->failed;
  co_return true;
}

awaitable<void> OnDemandRun::lane() {
  auto self = shared_from_this();
  while (!pending_.empty() && !stop_ && deps_.clock.now_seconds() < setup_.deadline) {
    const std::size_t index = pending_.front();
    pending_.pop_front();
    co_await slots_.acquire();
    std::string body = records_[index].input;
    auto result = co_await invoke_(*setup_.model, std::move(body));
    slots_.release();
    if (finished_) break;  // the run ended at its deadline meanwhile
    if (!result && retry_later(result.error())) {
      const int attempts = ++records_[index].attempts;
      spdlog::info("on demand: batch {}: record {} will be tried again ({})", setup_.batch_id,
                   records_[index].id, result.error().to_string());
      co_await pause(retry_delay(attempts));
      pending_.push_back(index);
      continue;
    }
    answer(index, result);
    if (!saving_) asio::co_spawn(strand_, save(), asio::detached);
  }
  if (--lanes_ == 0 && !finished_) lanes_done_->cancel();
}

void OnDemandRun::answer(std::size_t index, const aws::BedrockResult<aws::InvokeResult>& result) {
  const Record& record = records_[index];
  storage::RecordResult stored{setup_.batch_id, setup_.job_index, std::int64_t(index), {}, false};
  if (result && nlohmann::json::accept(result->body)) {
    stored.line = answer_line(record.id, record.input, result->body);
  } else {
    stored.failed = true;
    const int code = result ? 502 : (result.error().http_status > 0 ? result.error().http_status : 500);
    const std::string message = result ? "The model's answer is not JSON." : result.error().message;
    stored.line = error_line(record.id, record.input, code, message);
    ++failed_;
  }
  ++answered_;
  unsaved_.push_back(std::move(stored));
}

// Throttling, 5xx and transport failures pass: the record is tried again later. A request the model refuses
// (validation, a model error, access) is its answer.
bool OnDemandRun::retry_later(const aws::BedrockError& error) const {
  using aws::BedrockErrc;
  return error.kind == BedrockErrc::kThrottling || error.kind == BedrockErrc::kInternal ||
         error.kind == BedrockErrc::kQuotaExceeded ||
         (error.kind == BedrockErrc::kOther && error.http_status == 0);
}

std::chrono::milliseconds OnDemandRun::retry_delay(int attempts) const {
  double delay = double(options_.retry_base.count());
  for (int i = 1; i < attempts && delay < double(options_.retry_max.count()); ++i) delay *= 2;
  delay = std::min(delay, double(options_.retry_max.count()));
  return std::chrono::milliseconds(std::int64_t(delay * jitter()));
}

awaitable<void> OnDemandRun::pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(strand_, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Stores the answers that arrived, a few at a time; one save runs at once.
awaitable<void> OnDemandRun::save() {
  auto self = shared_from_this();
  if (saving_) co_return;
  saving_ = true;
  int failures = 0;
  while (!unsaved_.empty() && failures < kSaveAttempts) {
    std::vector<storage::RecordResult> batch = std::move(unsaved_);
    unsaved_.clear();
    auto saved =
        co_await run_blocking(deps_.blocking, [&] { return deps_.store.save_record_results(batch); });
    if (saved) continue;
    ++failures;
    set_problem("storing answers failed: " + saved.error().message);
    unsaved_.insert(unsaved_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    co_await pause(std::chrono::milliseconds(200 * failures));
  }
  saving_ = false;
}

}  // namespace batchgate::batch
