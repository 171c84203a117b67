#include "server/batch/transitions.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace batchgate::batch {

using storage::BatchStatus;

Action next_action(const storage::BatchRecord& b, const storage::JobRecord& j, const JobView& job) {
  if (storage::is_terminal(b.status)) return Action::kNone;
  const bool cancelling = b.status == BatchStatus::kCancelling;
  if (j.job_arn.empty()) return cancelling ? Action::kCancelWithoutJob : Action::kSubmit;
  if (job.state == JobState::kEnded) return Action::kCollect;
  if (cancelling && !j.stop_requested) return Action::kStop;
  return Action::kPoll;
}

void end_batch(storage::BatchRecord& b, BatchStatus status, std::int64_t now) {
  b.status = status;
  if (status == BatchStatus::kCompleted) b.completed_at = now;
  if (status == BatchStatus::kCancelled) b.cancelled_at = now;
  if (status == BatchStatus::kExpired) b.expired_at = now;
  if (status == BatchStatus::kFailed) b.failed_at = now;
}

Observation observe(storage::BatchRecord b, const JobView& job, const std::optional<std::string>& message,
                    std::int64_t now) {
  Observation o;
  const BatchStatus before = b.status;
  const std::string errors_before = b.errors_json;
  auto set = [&](BatchStatus status, std::optional<std::int64_t>& at) {
    b.status = status;
    if (!at) at = now;
  };
  if (job.state == JobState::kFailed) {
    end_batch(b, BatchStatus::kFailed, now);
    b.errors_json =
        batch_errors_json("bedrock_job_failed", message.value_or("The Bedrock batch job failed."));
  } else if (job.state == JobState::kEnded) {
    // Results are collected next; a cancelled or expired batch stays as it is meanwhile.
    if (job.ending && job.ending->status == BatchStatus::kCompleted) {
      set(BatchStatus::kFinalizing, b.finalizing_at);
      if (!b.in_progress_at) b.in_progress_at = now;
    } else if (job.ending && job.ending->status == BatchStatus::kCancelled) {
      set(BatchStatus::kCancelling, b.cancelling_at);
    }
    o.collect = true;
  } else if (job.state == JobState::kStopping || before == BatchStatus::kCancelling) {
    set(BatchStatus::kCancelling, b.cancelling_at);
  } else if (job.state == JobState::kRunning) {
    set(BatchStatus::kInProgress, b.in_progress_at);
  } else {
    b.status = BatchStatus::kValidating;
  }
  o.changed = b.status != before || b.errors_json != errors_before;
  o.batch = std::move(b);
  return o;
}

std::int64_t next_interval(std::int64_t current, bool changed, std::int64_t min, std::int64_t max) {
  if (changed || current <= 0) return min;
  return std::clamp(current * 2, min, max);
}

std::string batch_errors_json(std::string_view code, std::string_view message) {
  return nlohmann::json::array(
             {{{"code", code}, {"message", message}, {"param", nullptr}, {"line", nullptr}}})
      .dump();
}

std::optional<std::string> queued_near_deadline(
    const std::optional<std::pair<std::int64_t, std::int64_t>>& queued_until, std::int64_t now) {
  if (!queued_until) return std::nullopt;
  const auto [submitted, deadline] = *queued_until;
  if (deadline <= submitted || (now - submitted) * 4 < (deadline - submitted) * 3) return std::nullopt;
  // Stable text (no countdown): the batch is written again only when the entry appears or goes.
  return "Bedrock still holds the batch's job in its queue (Scheduled, not started) with less than a quarter "
         "of its " +
         std::to_string((deadline - submitted) / 3600) + " h timeout left (it ends at unix time " +
         std::to_string(deadline) +
         "); a job that has not started by then ends expired without results. "
         "Bedrock queues jobs while the account's batch capacity for the model is in use.";
}

std::string with_queued_warning(std::string_view errors_json, const std::optional<std::string>& message) {
  nlohmann::json list = nlohmann::json::parse(errors_json, nullptr, false);
  if (!list.is_array()) list = nlohmann::json::array();
  nlohmann::json kept = nlohmann::json::array();
  for (auto& error : list)
    if (!error.is_object() || error.value("code", "") != kQueuedNearDeadline)
      kept.push_back(std::move(error));
  if (message)
    kept.push_back(
        {{"code", kQueuedNearDeadline}, {"message", *message}, {"param", nullptr}, {"line", nullptr}});
  return kept.empty() ? std::string() : kept.dump();
}

std::string add_batch_error(std::string_view errors_json, std::string_view code, std::string_view message) {
  nlohmann::json list = nlohmann::json::parse(errors_json, nullptr, false);
  if (!list.is_array()) list = nlohmann::json::array();
  list.push_back({{"code", code}, {"message", message}, {"param", nullptr}, {"line", nullptr}});
  return list.dump();
}

}  // namespace batchgate::batch
