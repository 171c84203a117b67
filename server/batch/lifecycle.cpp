#include "server/batch/lifecycle.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <set>

#include "server/api/backends.hpp"
#include "server/batch/collector.hpp"
#include "server/batch/transitions.hpp"
#include "server/http/blocking.hpp"
#include "translators/cost.hpp"

namespace batchgate::batch {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

constexpr auto kTick = std::chrono::seconds(1);

bool retryable(aws::BedrockErrc kind) {
  return kind == aws::BedrockErrc::kThrottling || kind == aws::BedrockErrc::kInternal ||
         kind == aws::BedrockErrc::kOther;
}

std::string basename(const std::string& uri) {
  auto slash = uri.rfind('/');
  return slash == std::string::npos ? uri : uri.substr(slash + 1);
}

}  // namespace

struct Lifecycle::Impl : std::enable_shared_from_this<Impl> {
  Impl(const config::Settings& s, storage::Store& st, asio::thread_pool& b, const Clock& c, IdGenerator& i,
       api::Backends& be, std::function<void(const std::string&)> changed)
      : settings(s), store(st), blocking(b), clock(c), ids(i), backends(be), batch_changed(std::move(changed)) {}

  const config::Settings& settings;
  storage::Store& store;
  asio::thread_pool& blocking;
  const Clock& clock;
  IdGenerator& ids;
  api::Backends& backends;
  std::function<void(const std::string&)> batch_changed;

  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::unique_ptr<asio::steady_timer> timer;
  std::set<std::string> in_flight;  // batch ids with a step running; touched on the strand only
  bool stopping = false;

  std::int64_t min_interval() const { return settings.server.poll_interval_min.count(); }
  std::int64_t max_interval() const { return settings.server.poll_interval_max.count(); }

  awaitable<void> loop();
  awaitable<void> step(storage::BatchRecord batch, storage::JobRecord job);
  awaitable<void> submit(storage::BatchRecord& b, storage::JobRecord& j, const config::Model& model);
  awaitable<void> stop_job(storage::JobRecord& j, const config::Model& model);
  awaitable<void> poll(storage::BatchRecord b, storage::JobRecord j, const config::Model& model);
  awaitable<void> collect_results(storage::BatchRecord b, storage::JobRecord j, const config::Model& model);
  awaitable<void> backoff(storage::JobRecord j, std::string why);
  awaitable<bool> save_job(const storage::JobRecord& j);
  awaitable<void> fail_batch(storage::BatchRecord b, std::string code, std::string message);
};

awaitable<void> Lifecycle::Impl::loop() {
  auto self = shared_from_this();
  while (!stopping) {
    auto active = co_await http::run_blocking(blocking, [this] { return store.active_batches(); });
    if (active.has_error()) {
      spdlog::error("lifecycle: reading batches failed: {}", active.error().message);
      active = std::vector<storage::ActiveBatch>{};
    }
    const auto now = clock.now_seconds();
    for (auto& [b, job] : *active) {
      if (stopping || in_flight.size() >= std::size_t(settings.server.poll_concurrency)) break;
      if (in_flight.contains(b.id)) continue;
      const Action action = next_action(b, job);
      if (action == Action::kNone) continue;
      if (action == Action::kPoll && job.next_poll_at > now) continue;
      if (action == Action::kSubmit && job.next_poll_at > now) continue;  // backing off a refused attempt
      in_flight.insert(b.id);
      asio::co_spawn(*strand, step(std::move(b), std::move(job)), asio::detached);
    }
    timer->expires_after(kTick);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> Lifecycle::Impl::step(storage::BatchRecord b, storage::JobRecord j) {
  auto self = shared_from_this();
  const std::string id = b.id;
  try {
    const config::Model* model = settings.find_model(b.model);
    if (!model) {
      std::string why = "Model '" + b.model + "' is no longer configured.";
      co_await fail_batch(b, "model_not_configured", std::move(why));
    } else {
      switch (next_action(b, j)) {
        case Action::kNone: break;
        case Action::kCancelWithoutJob: {
          end_batch(b, "cancelled", clock.now_seconds());
          auto r = co_await http::run_blocking(blocking, [&] { return store.finish_batch(b, {}, std::nullopt); });
          batch_changed(id);
          if (r.has_error()) spdlog::warn("lifecycle: {}: {}", id, r.error().message);
          break;
        }
        case Action::kSubmit: co_await submit(b, j, *model); break;
        case Action::kStop:
          co_await stop_job(j, *model);
          co_await poll(b, j, *model);
          break;
        case Action::kPoll: co_await poll(b, j, *model); break;
        case Action::kCollect: co_await collect_results(b, j, *model); break;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("lifecycle: batch {}: {}", id, e.what());
  }
  in_flight.erase(id);
}

awaitable<bool> Lifecycle::Impl::save_job(const storage::JobRecord& j) {
  auto r = co_await http::run_blocking(blocking, [&] { return store.update_job(j); });
  if (r.has_error()) spdlog::error("lifecycle: saving job of {} failed: {}", j.batch_id, r.error().message);
  co_return r.has_value();
}

awaitable<void> Lifecycle::Impl::backoff(storage::JobRecord j, std::string why) {
  j.poll_interval = next_interval(j.poll_interval, false, min_interval(), max_interval());
  j.next_poll_at = clock.now_seconds() + j.poll_interval;
  j.updated_at = clock.now_seconds();
  spdlog::warn("lifecycle: batch {}: {}; next try in {} s", j.batch_id, why, j.poll_interval);
  co_await save_job(j);
}

awaitable<void> Lifecycle::Impl::fail_batch(storage::BatchRecord b, std::string code, std::string message) {
  end_batch(b, "failed", clock.now_seconds());
  b.errors_json = batch_errors_json(code, message);
  auto r = co_await http::run_blocking(blocking, [&] { return store.finish_batch(b, {}, std::nullopt); });
  batch_changed(b.id);
  if (r.has_error()) spdlog::warn("lifecycle: failing {}: {}", b.id, r.error().message);
  spdlog::info("lifecycle: batch {} failed: {}", b.id, message);
}

awaitable<void> Lifecycle::Impl::submit(storage::BatchRecord& b, storage::JobRecord& j, const config::Model& model) {
  aws::CreateJobRequest req;
  req.job_name = j.job_name;
  req.role_arn = model.aws_batch_role_arn;
  req.client_request_token = j.client_request_token;
  req.model_id = model.bedrock_model_id;
  req.input.s3_uri = j.input_s3_uri;
  req.output.s3_uri = j.output_s3_uri;
  if (!model.s3_encryption_key_id.empty()) req.output.s3_encryption_key_id = model.s3_encryption_key_id;
  if (b.expires_at) req.timeout_duration_in_hours = int(std::clamp<std::int64_t>((*b.expires_at - b.created_at) / 3600, 24, 168));
  auto arn = co_await backends.bedrock(model).create_model_invocation_job(std::move(req));
  if (arn.has_error()) {
    const auto& e = arn.error();
    if (retryable(e.kind)) {
      std::string why = "CreateModelInvocationJob: " + e.to_string();
      co_return co_await backoff(j, std::move(why));
    }
    // Refused for good (validation, access, quota): the batch fails with Bedrock's reason. The strings are
    // built before the co_await: g++ 12 (PR 101367) mishandles temporaries inside co_await expressions.
    std::string code = e.code.empty() ? std::string("bedrock_refused") : e.code;
    std::string message = "Bedrock refused the batch job: " + e.message;
    co_return co_await fail_batch(b, std::move(code), std::move(message));
  }
  j.job_arn = *arn;
  j.bedrock_status = "Submitted";
  j.poll_interval = min_interval();
  j.next_poll_at = clock.now_seconds() + j.poll_interval;
  j.updated_at = clock.now_seconds();
  spdlog::info("lifecycle: batch {} submitted as {}", b.id, j.job_arn);
  co_await save_job(j);
}

awaitable<void> Lifecycle::Impl::stop_job(storage::JobRecord& j, const config::Model& model) {
  auto r = co_await backends.bedrock(model).stop_model_invocation_job(j.job_arn);
  // A job that already ended answers ValidationException ("State was: Completed"): nothing left to stop.
  if (r.has_error() && r.error().kind != aws::BedrockErrc::kValidation) {
    spdlog::warn("lifecycle: stopping {} failed: {}", j.batch_id, r.error().to_string());
    co_return;
  }
  j.stop_requested = true;
  j.updated_at = clock.now_seconds();
  co_await save_job(j);
}

awaitable<void> Lifecycle::Impl::poll(storage::BatchRecord b, storage::JobRecord j, const config::Model& model) {
  auto got = co_await backends.bedrock(model).get_model_invocation_job(j.job_arn);
  if (got.has_error()) {
    std::string why = "GetModelInvocationJob: " + got.error().to_string();
    co_return co_await backoff(j, std::move(why));
  }
  const auto now = clock.now_seconds();
  auto seen = observe(b, got->status, got->message, now);
  const bool status_changed = got->status != j.bedrock_status;
  if (got->success_record_count) seen.batch.completed = *got->success_record_count;
  if (got->error_record_count) seen.batch.failed = *got->error_record_count;
  const bool counts_changed = seen.batch.completed != b.completed || seen.batch.failed != b.failed;
  if (seen.batch.status == "failed") {
    std::string why = got->message.value_or("The Bedrock job failed.");
    co_return co_await fail_batch(b, "bedrock_job_failed", std::move(why));
  }
  if (seen.changed || counts_changed) {
    auto saved = co_await http::run_blocking(blocking, [&] { return store.update_batch(seen.batch); });
    batch_changed(b.id);
    if (saved.has_error()) co_return;  // changed meanwhile (a cancel): the next tick sees the new state
    seen.batch = *saved;
  }
  j.bedrock_status = got->status;
  j.message = got->message.value_or("");
  j.poll_interval = next_interval(j.poll_interval, status_changed, min_interval(), max_interval());
  j.next_poll_at = now + j.poll_interval;
  j.updated_at = now;
  if (!co_await save_job(j)) co_return;
  if (seen.collect) co_await collect_results(seen.batch, j, model);
}

awaitable<void> Lifecycle::Impl::collect_results(storage::BatchRecord b, storage::JobRecord j,
                                                  const config::Model& model) {
  auto ending = ending_for(j.bedrock_status);
  if (!ending) co_return;
  auto file = co_await http::run_blocking(blocking, [&] { return store.find_file(b.input_file_id); });
  auto mappings = co_await http::run_blocking(blocking, [&] { return store.file_mappings(b.input_file_id); });
  if (file.has_error() || mappings.has_error())
    co_return co_await backoff(j, "reading the input file's record mapping failed");
  if (!*file) co_return co_await fail_batch(b, "input_file_missing", "The batch's input file was deleted.");

  CollectRequest req;
  std::string out_bucket, out_key;
  api::parse_s3_uri(j.output_s3_uri, out_bucket, out_key);
  req.out_bucket = out_bucket;
  req.out_prefix = out_key;
  req.job_id = job_id_from_arn(j.job_arn);
  req.input_file_name = basename(j.input_s3_uri);
  req.files_bucket = model.s3_output_bucket;
  const std::string base = api::join_key(model.s3_output_prefix, "batches/" + b.id + "/");
  req.output_key = base + "output.jsonl";
  req.error_key = base + "error.jsonl";
  req.mappings = std::move(*mappings);
  req.translator = translators::find_translator(model.bedrock_model_id,
                                                *translators::parse_endpoint(b.endpoint));
  req.options.model = b.model;
  req.options.batch_id = b.id;
  req.options.created = clock.now_seconds();
  req.options.raw_output = model.raw_output;
  req.missing_reason = ending->missing;
  if (!req.translator) {
    std::string why = "No translator for " + model.bedrock_model_id;
    co_return co_await fail_batch(b, "unsupported_model", std::move(why));
  }

  auto result = co_await collect(backends.s3(model), ids, std::move(req));
  if (result.has_error()) {
    std::string why = "collecting results: " + result.error().message;
    co_return co_await backoff(j, std::move(why));
  }

  const auto now = clock.now_seconds();
  std::vector<storage::FileRecord> files;
  auto register_file = [&](const std::optional<WrittenFile>& written, const char* suffix) -> std::string {
    if (!written) return {};
    storage::FileRecord f;
    f.id = ids.file_id();
    f.owner_key_id = b.owner_key_id;
    f.purpose = "batch_output";
    f.filename = b.id + "_" + suffix + ".jsonl";
    f.bytes = std::int64_t(written->bytes);
    f.created_at = now;
    if (b.output_expires_seconds) f.expires_at = now + *b.output_expires_seconds;
    f.model = b.model;
    f.endpoint = b.endpoint;
    f.line_count = written->lines;
    f.content_s3_uri = api::s3_uri(model.s3_output_bucket, written->key);
    f.batch_id = b.id;
    files.push_back(f);
    return f.id;
  };
  b.output_file_id = register_file(result->output_file, "output");
  b.error_file_id = register_file(result->error_file, "error");
  b.total = result->counts.total;
  b.completed = result->counts.completed;
  b.failed = result->counts.failed;
  b.input_tokens = result->usage.input_tokens;
  b.output_tokens = result->usage.output_tokens;
  b.spend = translators::cost_usd(result->usage, {model.pricing.input_cost_per_token_batches,
                                                  model.pricing.output_cost_per_token_batches, std::nullopt});
  if (ending->status == "completed" && !b.finalizing_at) b.finalizing_at = now;
  end_batch(b, ending->status, now);
  storage::SpendRecord spend;
  spend.batch_id = b.id;
  spend.key_id = b.owner_key_id;
  spend.model = b.model;
  spend.input_tokens = b.input_tokens;
  spend.output_tokens = b.output_tokens;
  spend.cost = b.spend;
  spend.created_at = now;
  auto done = co_await http::run_blocking(blocking, [&] { return store.finish_batch(b, files, spend); });
  batch_changed(b.id);
  if (done.has_error()) {
    spdlog::warn("lifecycle: finishing {} failed: {}", b.id, done.error().message);
    co_return;
  }
  spdlog::info("lifecycle: batch {} {}: {} completed, {} failed, {} input + {} output tokens, ${:.6f}", b.id,
               b.status, b.completed, b.failed, b.input_tokens, b.output_tokens, b.spend);
}

Lifecycle::Lifecycle(const config::Settings& settings, storage::Store& store, asio::thread_pool& blocking,
                     const Clock& clock, IdGenerator& ids, api::Backends& backends,
                     std::function<void(const std::string&)> batch_changed)
    : impl_(std::make_shared<Impl>(settings, store, blocking, clock, ids, backends, std::move(batch_changed))) {}

Lifecycle::~Lifecycle() { stop(); }

void Lifecycle::start(asio::any_io_executor executor) {
  impl_->strand.emplace(asio::make_strand(executor));
  impl_->timer = std::make_unique<asio::steady_timer>(*impl_->strand);
  asio::co_spawn(*impl_->strand, impl_->loop(), asio::detached);
}

void Lifecycle::wake() {
  if (!impl_->strand) return;
  asio::post(*impl_->strand, [impl = impl_] {
    if (impl->timer) impl->timer->cancel();
  });
}

void Lifecycle::stop() {
  if (!impl_->strand) return;
  asio::post(*impl_->strand, [impl = impl_] {
    impl->stopping = true;
    if (impl->timer) impl->timer->cancel();
  });
}

}  // namespace batchgate::batch
