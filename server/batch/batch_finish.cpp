// BatchCore: finishing a batch whose job ended — the OpenAI output and error files, the counts, the usage and
// the spend, written in one transaction.
#include <spdlog/spdlog.h>

#include <chrono>

#include "server/batch/batch_core.hpp"
#include "server/batch/collector.hpp"
#include "server/batch/collector_layout.hpp"
#include "server/batch/object_layout.hpp"
#include "server/batch/transitions.hpp"
#include "server/common/blocking.hpp"
#include "translators/cost.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;

// The file row of a written output or error file (purpose batch_output, spec/openai-batch.md §5).
storage::FileRecord result_file(const storage::BatchRecord& b, const WrittenFile& written, const char* suffix,
                                std::string id, std::int64_t now) {
  storage::FileRecord f;
  f.id = std::move(id);
  f.owner_key_id = b.owner_key_id;
  f.purpose = "batch_output";
  f.filename = b.id + "_" + suffix + ".jsonl";
  f.bytes = std::int64_t(written.bytes);
  f.created_at = now;
  if (b.output_expires_seconds) f.expires_at = now + *b.output_expires_seconds;
  f.model = b.model;
  f.endpoint = b.endpoint;
  f.line_count = written.lines;
  f.content_s3_uri = aws::s3_uri(written.object);
  f.batch_id = b.id;
  return f;
}

storage::SpendRecord spend_of(const storage::BatchRecord& b, bool batch_priced, std::int64_t now) {
  storage::SpendRecord spend;
  spend.batch_id = b.id;
  spend.key_id = b.owner_key_id;
  spend.model = b.model;
  spend.input_tokens = b.input_tokens;
  spend.output_tokens = b.output_tokens;
  spend.cost = b.spend;
  spend.created_at = now;
  spend.pricing = batch_priced ? "batch" : "on_demand";
  return spend;
}

// What the batch's errors say after collection: a job that failed part-way (its answers are kept and
// billed), and output that disagrees with the job's manifest instead of silent missing_output lines.
std::string errors_after_collect(const storage::BatchRecord& b, const storage::JobRecord& j,
                                 const Ending& ending, const CollectResult& result,
                                 std::int64_t records_sent) {
  // The job ended: whether it waited in Bedrock's queue no longer matters.
  std::string errors = with_queued_warning(b.errors_json, std::nullopt);
  const std::int64_t read = result.counts.records_read;
  if (ending.status == storage::BatchStatus::kFailed) {
    std::string why = j.message.empty() ? std::string("no reason given") : j.message;
    errors = add_batch_error(errors, "bedrock_job_failed",
                             "The Bedrock job failed after processing " + std::to_string(read) + " of " +
                                 std::to_string(records_sent) + " records: " + why +
                                 " The answers it wrote are in the output file (and billed); the other "
                                 "requests are in the error file as batch_failed.");
  }
  OutputTally tally{result.manifest,
                    result.output_object_found,
                    read,
                    records_sent,
                    ending.status == storage::BatchStatus::kCompleted,
                    result.output_location};
  if (auto disagreement = output_disagreement(tally)) {
    spdlog::error("lifecycle: batch {}: {}", b.id, *disagreement);
    errors = add_batch_error(errors, "output_mismatch", *disagreement);
  }
  return errors;
}

struct Finished {
  storage::BatchRecord batch;
  std::vector<storage::FileRecord> files;
};

// The batch as its collected results leave it: its result files, counts, usage, spend and terminal status.
Finished finished_batch(storage::BatchRecord b, const CollectResult& result, const Ending& ending,
                        const config::Model& model, bool batch_priced, IdGenerator& ids, std::int64_t now) {
  std::vector<storage::FileRecord> files;
  if (result.output_file) {
    files.push_back(result_file(b, *result.output_file, "output", ids.file_id(), now));
    b.output_file_id = files.back().id;
  }
  if (result.error_file) {
    files.push_back(result_file(b, *result.error_file, "error", ids.file_id(), now));
    b.error_file_id = files.back().id;
  }
  b.total = result.counts.total;
  b.completed = result.counts.completed;
  b.failed = result.counts.failed;
  b.input_tokens = result.usage.input_tokens;
  b.output_tokens = result.usage.output_tokens;
  b.spend = translators::cost_usd(result.usage, prices_of(model, batch_priced));
  if (ending.status == storage::BatchStatus::kCompleted && !b.finalizing_at) b.finalizing_at = now;
  end_batch(b, ending.status, now);
  return {std::move(b), std::move(files)};
}

}  // namespace

translators::TokenPrices prices_of(const config::Model& model, bool batch_priced) {
  const config::Pricing& p = model.pricing;
  if (batch_priced) return {p.input_cost_per_token_batches, p.output_cost_per_token_batches, std::nullopt};
  return {p.input_cost_per_token, p.output_cost_per_token, std::nullopt};
}

awaitable<void> BatchCore::finish(storage::BatchRecord b, storage::JobRecord j, RecordRunner& runner,
                                  const config::Model& model) {
  const std::optional<Ending> ending = runner.view(j.bedrock_status).ending;
  if (!ending) co_return;
  const auto started = std::chrono::steady_clock::now();
  auto file = co_await run_blocking(d_.blocking, [&] { return d_.store.find_file(b.input_file_id); });
  auto mappings = co_await run_blocking(d_.blocking, [&] { return d_.store.file_mappings(b.input_file_id); });
  if (file.has_error() || mappings.has_error())
    co_return co_await backoff(std::move(j), "reading the input file's record mapping failed");
  if (!*file)
    co_return co_await end_without_results(std::move(b), storage::BatchStatus::kFailed, "input_file_missing",
                                           "The batch's input file was deleted.");
  const translators::Translator* translator =
      translators::find_translator(model.bedrock_model_id, *translators::parse_endpoint(b.endpoint));
  if (!translator) {
    std::string why = "No translator for " + model.bedrock_model_id;
    co_return co_await end_without_results(std::move(b), storage::BatchStatus::kFailed, "unsupported_model",
                                           std::move(why));
  }

  CollectRequest req;
  req.source = [&runner, &j, &model](ObjectSink sink) {
    return runner.read_output(j, model, std::move(sink));
  };
  req.output_file = result_file_object(model, b.id, ResultFile::kOutput);
  req.error_file = result_file_object(model, b.id, ResultFile::kError);
  req.mappings = std::move(*mappings);
  req.translator = translator;
  req.options = {b.model, b.id, d_.clock.now_seconds(), model.raw_output};
  req.missing_reason = ending->missing;
  req.files_only_with_records = ending->status == storage::BatchStatus::kFailed;
  const auto records_sent = std::int64_t(req.mappings.size());
  auto result = co_await collect(d_.objects(model), d_.ids, std::move(req));
  if (result.has_error()) {
    std::string why = "collecting results: " + result.error().message;
    co_return co_await backoff(std::move(j), std::move(why));
  }
  // Failed before it processed anything: as before, the batch fails without files.
  if (ending->status == storage::BatchStatus::kFailed && result->counts.records_read == 0) {
    std::string why = j.message.empty() ? std::string("The Bedrock batch job failed.") : j.message;
    co_return co_await end_without_results(std::move(b), storage::BatchStatus::kFailed, "bedrock_job_failed",
                                           std::move(why));
  }
  b.errors_json = errors_after_collect(b, j, *ending, *result, records_sent);

  const auto now = d_.clock.now_seconds();
  Finished finished =
      finished_batch(std::move(b), *result, *ending, model, runner.batch_priced(), d_.ids, now);
  b = std::move(finished.batch);
  std::vector<storage::FileRecord> files = std::move(finished.files);
  auto done = co_await run_blocking(
      d_.blocking, [&] { return d_.store.finish_batch(b, files, spend_of(b, runner.batch_priced(), now)); });
  hooks_.batch_changed(b.id);
  if (done.has_error()) {
    spdlog::warn("lifecycle: finishing {} failed: {}", b.id, done.error().message);
    co_return;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(
      "lifecycle: batch {} {}: {} completed, {} failed, {} input + {} output tokens, ${:.6f}; results "
      "collected "
      "in {:.3f} s",
      b.id, storage::to_string(b.status), b.completed, b.failed, b.input_tokens, b.output_tokens, b.spend,
      seconds);
}

}  // namespace batchgate::batch
