// BatchCore: the job queue of each lifecycle round (job_queue.hpp) and when a batch has a step due.
#include "server/batch/batch_core.hpp"
#include "server/batch/transitions.hpp"

namespace batchgate::batch {
namespace {

// The batch's place in the queue; nullopt when its job does not take a slot or has ended.
std::optional<QueueEntry::State> queue_state(const storage::ActiveBatch& a, const RecordRunner& runner,
                                             const std::set<std::string>& stepping) {
  if (!runner.counts_against_job_quota()) return std::nullopt;
  const JobView view = runner.view(a.job.bedrock_status);
  if (next_action(a.batch, a.job, view) == Action::kSubmit)
    return stepping.contains(a.batch.id) ? QueueEntry::State::kSubmitting : QueueEntry::State::kWaiting;
  if (a.job.job_arn.empty() || view.state == JobState::kEnded || view.state == JobState::kFailed)
    return std::nullopt;
  return QueueEntry::State::kRunning;
}

}  // namespace

std::optional<int> BatchCore::max_jobs(std::string_view model) const {
  const config::Model* m = d_.settings.find_model(model);
  return m ? m->max_concurrent_jobs : std::nullopt;
}

QueuePlan BatchCore::plan_queue(const std::vector<storage::ActiveBatch>& active,
                                const std::vector<storage::JobStart>& starts,
                                const std::set<std::string>& stepping, std::int64_t now) {
  std::vector<QueueEntry> entries;
  for (const storage::ActiveBatch& a : active) {
    const RecordRunner* runner = runners_.find(a.job.runner);
    if (!runner) continue;
    const auto state = queue_state(a, *runner, stepping);
    if (!state) continue;
    entries.push_back({a.batch.id, a.batch.model, a.batch.owner_key_id, a.batch.created_at, *state,
                       a.job.next_poll_at, a.job.quota_full_at});
  }
  QueuePlan plan = plan_job_queue(
      entries, starts, [this](std::string_view m) { return max_jobs(m); }, now);
  std::map<std::string, std::int64_t, std::less<>> positions(plan.positions.begin(), plan.positions.end());
  std::lock_guard lock(queue_mutex_);
  queue_positions_.swap(positions);
  return plan;
}

std::optional<std::int64_t> BatchCore::queue_position(const std::string& batch_id) const {
  std::lock_guard lock(queue_mutex_);
  auto it = queue_positions_.find(batch_id);
  if (it == queue_positions_.end()) return std::nullopt;
  return it->second;
}

bool BatchCore::due(const storage::ActiveBatch& active, std::int64_t now, const QueuePlan& plan) const {
  const Action action = next_action(active.batch, active.job, view_of(active.job));
  if (action == Action::kNone) return false;
  if (action == Action::kSubmit) {
    if (active.batch.expires_at && *active.batch.expires_at <= now) return true;
    if (plan.positions.contains(active.batch.id)) return false;
  }
  // Polls wait for their interval; a submit that was refused for now waits for its backoff.
  if (action == Action::kPoll || action == Action::kSubmit) return active.job.next_poll_at <= now;
  return true;
}

}  // namespace batchgate::batch
