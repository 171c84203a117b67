#include "server/batch/job_queue.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <tuple>

namespace batchgate::batch {
namespace {

using Owner = std::optional<std::int64_t>;
constexpr std::int64_t kNeverServed = std::numeric_limits<std::int64_t>::min();

struct ModelQueue {
  std::vector<const QueueEntry*> waiting;
  std::vector<const QueueEntry*> submitting;
  std::int64_t busy = 0;                     // jobs in flight and submits under way
  const QueueEntry* refused = nullptr;       // the latest submit that met a full quota
  std::map<Owner, std::int64_t> last_start;  // per key, from the store
  std::int64_t model_last_start = kNeverServed;
};

std::map<std::string, ModelQueue, std::less<>> group(const std::vector<QueueEntry>& entries,
                                                     const std::vector<storage::JobStart>& starts) {
  std::map<std::string, ModelQueue, std::less<>> models;
  for (const QueueEntry& e : entries) {
    ModelQueue& q = models[e.model];
    if (e.state == QueueEntry::State::kWaiting) q.waiting.push_back(&e);
    if (e.state == QueueEntry::State::kSubmitting) q.submitting.push_back(&e);
    if (e.state != QueueEntry::State::kWaiting) ++q.busy;
    if (e.state != QueueEntry::State::kRunning && e.quota_full_at &&
        (!q.refused || *q.refused->quota_full_at < *e.quota_full_at))
      q.refused = &e;
  }
  for (const storage::JobStart& s : starts) {
    auto it = models.find(s.model);
    if (it == models.end()) continue;
    it->second.last_start[s.owner_key_id] = s.started_at;
    it->second.model_last_start = std::max(it->second.model_last_start, s.started_at);
  }
  return models;
}

// How many waiting batches of the model may submit now.
std::int64_t free_slots(const ModelQueue& q, std::optional<int> max_jobs, std::int64_t now) {
  std::int64_t slots = std::numeric_limits<std::int64_t>::max();
  if (max_jobs) slots = std::max<std::int64_t>(0, *max_jobs - q.busy);
  if (!q.refused || q.model_last_start > *q.refused->quota_full_at) return slots;
  // Bedrock answered that the quota is full and no job of the model started since: one submit probes, once
  // the refused one's backoff has passed.
  if (!q.submitting.empty() || now < q.refused->next_try_at) return 0;
  return std::min<std::int64_t>(slots, 1);
}

// The waiting batches in the order they start: each turn goes to the key served least recently (never
// served first), which then moves behind the others; within a key, oldest first.
std::vector<const QueueEntry*> serve_order(ModelQueue& q, std::int64_t now) {
  std::int64_t turn = now;
  for (const auto& [owner, at] : q.last_start) turn = std::max(turn, at);
  // A submit under way is this round's turn of its key.
  for (const QueueEntry* e : q.submitting) q.last_start[e->owner] = ++turn;
  std::sort(q.waiting.begin(), q.waiting.end(), [](const QueueEntry* a, const QueueEntry* b) {
    return std::tie(a->created_at, a->batch_id) < std::tie(b->created_at, b->batch_id);
  });
  std::map<Owner, std::deque<const QueueEntry*>> by_owner;
  for (const QueueEntry* e : q.waiting) by_owner[e->owner].push_back(e);
  std::vector<const QueueEntry*> order;
  while (order.size() < q.waiting.size()) {
    auto next = by_owner.end();
    auto rank = [&](const auto& it) {
      auto served = q.last_start.find(it->first);
      const QueueEntry* head = it->second.front();
      return std::make_tuple(served == q.last_start.end() ? kNeverServed : served->second, head->created_at,
                             std::string_view(head->batch_id));
    };
    for (auto it = by_owner.begin(); it != by_owner.end(); ++it)
      if (!it->second.empty() && (next == by_owner.end() || rank(it) < rank(next))) next = it;
    order.push_back(next->second.front());
    next->second.pop_front();
    q.last_start[next->first] = ++turn;
  }
  return order;
}

std::string window_of(const storage::BatchRecord& b) {
  return b.completion_window.empty() ? std::string("24h") : b.completion_window;
}

}  // namespace

QueuePlan plan_job_queue(const std::vector<QueueEntry>& entries, const std::vector<storage::JobStart>& starts,
                         const std::function<std::optional<int>(std::string_view model)>& max_jobs,
                         std::int64_t now) {
  QueuePlan plan;
  for (auto& [model, q] : group(entries, starts)) {
    const std::int64_t slots = free_slots(q, max_jobs(model), now);
    const std::vector<const QueueEntry*> order = serve_order(q, now);
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (std::int64_t(i) < slots)
        plan.admitted.insert(order[i]->batch_id);
      else
        plan.positions[order[i]->batch_id] = std::int64_t(i) - slots + 1;
    }
  }
  return plan;
}

NeverStarted never_started(const storage::BatchRecord& b, const storage::JobRecord& j,
                           std::optional<int> max_jobs) {
  const std::string window = window_of(b);
  if (j.quota_full_at)
    return {"job_quota_full", "The batch never started: Bedrock's concurrent batch-job quota for model '" +
                                  b.model + "' was full (ServiceQuotaExceededException) until its " + window +
                                  " completion window passed. Ask AWS for a higher quota, or submit later."};
  if (max_jobs)
    return {"job_quota_full", "The batch never started: the job quota of model '" + b.model +
                                  "' (max_concurrent_jobs: " + std::to_string(*max_jobs) +
                                  ") was full until its " + window +
                                  " completion window passed. Submit it again later."};
  return {"not_started",
          "The batch's job could not be submitted before its " + window +
              " completion window passed (Bedrock kept refusing it for now); submit it again."};
}

}  // namespace batchgate::batch
