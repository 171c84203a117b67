#include "server/batch/transitions.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "translators/status_map.hpp"

namespace batchgate::batch {

Action next_action(const storage::BatchRecord& b, const storage::JobRecord& j) {
  const std::string& s = b.status;
  if (s == "completed" || s == "failed" || s == "cancelled" || s == "expired") return Action::kNone;
  if (j.job_arn.empty()) return s == "cancelling" ? Action::kCancelWithoutJob : Action::kSubmit;
  if (translators::is_terminal_job_status(j.bedrock_status) && ending_for(j.bedrock_status)) return Action::kCollect;
  if (s == "cancelling" && !j.stop_requested) return Action::kStop;
  return Action::kPoll;
}

std::optional<Ending> ending_for(std::string_view st) {
  using translators::MissingReason;
  if (st == "Completed") return Ending{"completed", MissingReason::kMissingOutput};
  // Not every record was processed before the job's timeout (spec/bedrock-batch.md §6).
  if (st == "PartiallyCompleted") return Ending{"completed", MissingReason::kBatchExpired};
  if (st == "Stopped") return Ending{"cancelled", MissingReason::kBatchCancelled};
  if (st == "Expired") return Ending{"expired", MissingReason::kBatchExpired};
  return std::nullopt;  // Failed ends without results
}

void end_batch(storage::BatchRecord& b, const std::string& status, std::int64_t now) {
  b.status = status;
  if (status == "completed") b.completed_at = now;
  if (status == "cancelled") b.cancelled_at = now;
  if (status == "expired") b.expired_at = now;
  if (status == "failed") b.failed_at = now;
}

Observation observe(storage::BatchRecord b, std::string_view bedrock_status,
                    const std::optional<std::string>& message, std::int64_t now) {
  Observation o;
  const std::string before = b.status;
  const std::string errors_before = b.errors_json;
  const std::string mapped(translators::openai_batch_status(bedrock_status));
  if (bedrock_status == "Failed") {
    end_batch(b, "failed", now);
    b.errors_json = batch_errors_json("bedrock_job_failed", message.value_or("The Bedrock batch job failed."));
  } else if (auto ending = ending_for(bedrock_status)) {
    // Results are collected next; a cancelled or expired batch stays as it is meanwhile.
    if (ending->status == "completed") {
      b.status = "finalizing";
      if (!b.in_progress_at) b.in_progress_at = now;
      if (!b.finalizing_at) b.finalizing_at = now;
    } else if (ending->status == "cancelled") {
      b.status = "cancelling";
      if (!b.cancelling_at) b.cancelling_at = now;
    }
    o.collect = true;
  } else if (mapped == "cancelling" || before == "cancelling") {
    b.status = "cancelling";
    if (!b.cancelling_at) b.cancelling_at = now;
  } else if (mapped == "in_progress") {
    b.status = "in_progress";
    if (!b.in_progress_at) b.in_progress_at = now;
  } else {
    b.status = "validating";
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

}  // namespace batchgate::batch
