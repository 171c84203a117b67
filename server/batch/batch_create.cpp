// BatchCore: creating and cancelling batches (the route side of the batch's rules).
#include <spdlog/spdlog.h>

#include "server/batch/batch_core.hpp"
#include "server/common/blocking.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;
using storage::BatchStatus;

ApiError no_such_batch(const std::string& id) {
  return ApiError::not_found("No batch found with id '" + id + "'.", "batch_id");
}

storage::BatchRecord new_batch(const std::string& id, const Principal& who, const CreateBatchParams& params,
                               const storage::FileRecord& file, std::int64_t now) {
  storage::BatchRecord b;
  b.id = id;
  b.owner_key_id = who.owner_id();
  b.input_file_id = file.id;
  b.endpoint = params.endpoint;
  b.model = file.model;
  b.completion_window = params.completion_window;
  b.metadata_json = params.metadata_json;
  b.output_expires_seconds = params.output_expires_seconds;
  b.created_at = now;
  b.expires_at = now + std::int64_t(params.timeout_hours) * 3600;
  b.total = file.line_count;
  return b;
}

}  // namespace

RecordRunner* Runners::find(std::string_view name) const {
  auto it = runners_.find(name);
  return it == runners_.end() ? nullptr : it->second;
}

void Runners::add(RecordRunner& runner, Role role) {
  runners_[std::string(runner.name())] = &runner;
  (role == Role::kBatchJobs ? batch_jobs_ : small_batches_) = &runner;
}

RecordRunner& Runners::for_new_batch(const config::Model& model, const storage::FileRecord& input) const {
  const bool small = input.record_count < model.min_batch_records;
  if (small && model.on_demand_fallback && small_batches_) return *small_batches_;
  return *batch_jobs_;
}

awaitable<BatchCore::Outcome> BatchCore::create(const Principal& who, CreateBatchParams params) {
  if (auto err = check_budget(who)) co_return *err;
  auto found = co_await run_blocking(d_.blocking, [&] { return d_.store.find_file(params.input_file_id); });
  if (found.has_error())
    co_return storage_unavailable("reading file " + params.input_file_id + ": " + found.error().message);
  const auto now = d_.clock.now_seconds();
  // An expired file is gone for the API even before the sweep deletes it.
  if (!*found || !who.owns((*found)->owner_key_id) || ((*found)->expires_at && *(*found)->expires_at <= now))
    co_return ApiError::not_found("No such File object: " + params.input_file_id, "input_file_id");
  const storage::FileRecord& file = **found;
  const config::Model* model = d_.settings.find_model(file.model);
  if (auto err = check_batch_input(params, file, model)) co_return *err;
  if (!who.may_use_model(file.model))
    co_return ApiError{ErrorKind::kPermission, "This key may not use model '" + file.model + "'.",
                       "input_file_id", "model_not_allowed"};

  storage::BatchRecord b = new_batch(d_.ids.batch_id(), who, params, file, now);
  RecordRunner& runner = runners_.for_new_batch(*model, file);
  // The most the batch can cost, held against the key's budget while it runs (storage checks and writes it
  // in one transaction); the real spend replaces it when the batch ends.
  b.reserved_cost = translators::cost_usd({file.estimated_input_tokens, file.max_output_tokens, 0},
                                          prices_of(*model, runner.batch_priced()));
  storage::JobRecord job = runner.plan(b, file, *model, 0);
  job.next_poll_at = now;
  job.poll_interval = min_interval();
  job.updated_at = now;
  // Persisted before any runner is called: a crash from here on resumes with the same job (same token).
  auto inserted = co_await run_blocking(d_.blocking, [&] { return d_.store.insert_batch(b, job); });
  if (inserted.has_error() && inserted.error().code == storage::ErrorCode::kNotFound)
    co_return ApiError::not_found("No such File object: " + params.input_file_id, "input_file_id");
  if (inserted.has_error() && inserted.error().code == storage::ErrorCode::kOverBudget)
    co_return ApiError{ErrorKind::kInvalidRequest,
                       inserted.error().message +
                           " Wait for running batches to end, send fewer or shorter "
                           "requests (or lower max_tokens), or ask for a higher budget.",
                       "input_file_id", "budget_exceeded"};
  if (inserted.has_error())
    co_return storage_unavailable("storing batch " + b.id + ": " + inserted.error().message);
  hooks_.work_added();
  co_return b;
}

awaitable<BatchCore::Outcome> BatchCore::cancel(const Principal& who, std::string id) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto found = co_await run_blocking(d_.blocking, [&] { return d_.store.find_batch(id); });
    if (found.has_error())
      co_return storage_unavailable("reading batch " + id + ": " + found.error().message);
    if (!*found || !who.owns((*found)->owner_key_id)) co_return no_such_batch(id);
    storage::BatchRecord b = std::move(**found);
    if (b.status != BatchStatus::kValidating && b.status != BatchStatus::kInProgress) co_return b;
    b.status = BatchStatus::kCancelling;
    b.cancelling_at = d_.clock.now_seconds();
    auto updated = co_await run_blocking(d_.blocking, [&] { return d_.store.update_batch(b); });
    hooks_.batch_changed(id);
    if (updated.has_value()) {
      hooks_.work_added();
      co_return std::move(*updated);
    }
    if (updated.error().code != storage::ErrorCode::kConflict)
      co_return storage_unavailable("cancelling batch " + id + ": " + updated.error().message);
  }
  co_return ApiError{ErrorKind::kConflict, "The batch is changing; try the cancel again.", "batch_id",
                     "conflict"};
}

}  // namespace batchgate::batch
