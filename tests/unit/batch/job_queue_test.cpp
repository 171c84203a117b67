// The job queue's decision (server/batch/job_queue.hpp): slots per model from max_concurrent_jobs and the
// jobs in flight, round-robin across keys with each key's batches oldest first, and Bedrock's quota answer.
#include "server/batch/job_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace batchgate::batch {
namespace {

using State = QueueEntry::State;

constexpr std::int64_t kNow = 1000;

QueueEntry entry(std::string id, std::optional<std::int64_t> owner, std::int64_t created,
                 State state = State::kWaiting, std::string model = "claude") {
  return {std::move(id), std::move(model), owner, created, state, 0, std::nullopt};
}

auto limit(std::optional<int> claude) {
  return [claude](std::string_view model) { return model == "claude" ? claude : std::nullopt; };
}

// The waiting batches in the order they start: admitted ones first, then by queue position.
std::vector<std::string> order(const QueuePlan& plan) {
  std::vector<std::pair<std::int64_t, std::string>> ranked;
  for (const auto& id : plan.admitted) ranked.push_back({0, id});
  for (const auto& [id, position] : plan.positions) ranked.push_back({position, id});
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> ids;
  for (auto& [rank, id] : ranked) ids.push_back(id);
  return ids;
}

TEST(JobQueue, WithoutALimitEveryWaitingBatchStarts) {
  const auto plan = plan_job_queue({entry("a", 1, 1), entry("b", 2, 2), entry("r", 1, 0, State::kRunning)},
                                   {}, limit(std::nullopt), kNow);
  EXPECT_EQ(plan.admitted, (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(plan.positions.empty());
}

TEST(JobQueue, JobsInFlightAndSubmitsUnderWayTakeTheSlots) {
  const std::vector<QueueEntry> entries = {entry("run", 1, 1, State::kRunning),
                                           entry("sub", 2, 2, State::kSubmitting), entry("w1", 1, 3),
                                           entry("w2", 3, 4)};
  const std::vector<storage::JobStart> starts = {{"claude", 1, 900}, {"claude", 2, 950}};
  const auto full = plan_job_queue(entries, starts, limit(2), kNow);
  EXPECT_TRUE(full.admitted.empty());
  EXPECT_EQ(full.positions, (std::map<std::string, std::int64_t>{{"w2", 1}, {"w1", 2}}))
      << "key 3 has no job yet, key 1 has one running";
  const auto one_free = plan_job_queue(entries, starts, limit(3), kNow);
  EXPECT_EQ(one_free.admitted, (std::set<std::string>{"w2"}));
  EXPECT_EQ(one_free.positions, (std::map<std::string, std::int64_t>{{"w1", 1}}));
}

TEST(JobQueue, RoundRobinAcrossKeysOldestFirstWithinAKey) {
  // Key 1 sent four batches before key 2 sent two and the master key one.
  const std::vector<QueueEntry> entries = {
      entry("a1", 1, 10), entry("a2", 1, 11), entry("a3", 1, 12),           entry("a4", 1, 13),
      entry("b1", 2, 20), entry("b2", 2, 21), entry("m1", std::nullopt, 30)};
  const auto plan = plan_job_queue(entries, {}, limit(1), kNow);
  EXPECT_EQ(order(plan), (std::vector<std::string>{"a1", "b1", "m1", "a2", "b2", "a3", "a4"}));
  EXPECT_EQ(plan.admitted, (std::set<std::string>{"a1"}));
  EXPECT_EQ(plan.positions.at("b1"), 1);
  EXPECT_EQ(plan.positions.at("a4"), 6);
}

// Key 1's first batch just ended; its later batches must not go before key 2's older-waiting one.
TEST(JobQueue, TheKeyServedLeastRecentlyGoesFirstSoNoKeyStarves) {
  const std::vector<QueueEntry> entries = {entry("a2", 1, 11), entry("a3", 1, 12), entry("b1", 2, 20)};
  const std::vector<storage::JobStart> starts = {{"claude", 1, 900}, {"claude", 2, 500}, {"nova", 2, 990}};
  EXPECT_EQ(order(plan_job_queue(entries, starts, limit(1), kNow)),
            (std::vector<std::string>{"b1", "a2", "a3"}));
  const std::vector<storage::JobStart> b_later = {{"claude", 1, 500}, {"claude", 2, 900}};
  EXPECT_EQ(order(plan_job_queue(entries, b_later, limit(1), kNow)),
            (std::vector<std::string>{"a2", "b1", "a3"}));
}

TEST(JobQueue, ModelsQueueApart) {
  const std::vector<QueueEntry> entries = {entry("c-run", 1, 1, State::kRunning), entry("c1", 1, 2),
                                           entry("n1", 1, 3, State::kWaiting, "nova"),
                                           entry("n2", 2, 4, State::kWaiting, "nova")};
  const auto plan = plan_job_queue(entries, {}, limit(1), kNow);
  EXPECT_EQ(plan.admitted, (std::set<std::string>{"n1", "n2"}));
  EXPECT_EQ(plan.positions, (std::map<std::string, std::int64_t>{{"c1", 1}}));
}

// A quota answer from Bedrock makes the model full until a job of it starts again; once the refused submit's
// backoff has passed, one batch at a time (the head of the queue) tries.
TEST(JobQueue, BedrockQuotaAnswerMakesTheModelFullUntilAJobStarts) {
  QueueEntry refused = entry("w1", 1, 1);
  refused.quota_full_at = 950;
  refused.next_try_at = 1010;
  std::vector<QueueEntry> entries = {refused, entry("w2", 2, 2), entry("w3", 3, 3)};
  const auto waiting = plan_job_queue(entries, {}, limit(std::nullopt), kNow);
  EXPECT_TRUE(waiting.admitted.empty());
  EXPECT_EQ(waiting.positions.size(), 3u);

  const auto probe = plan_job_queue(entries, {}, limit(std::nullopt), 1010);
  EXPECT_EQ(probe.admitted, (std::set<std::string>{"w1"}));

  entries.push_back(entry("probing", 4, 0, State::kSubmitting));
  EXPECT_TRUE(plan_job_queue(entries, {}, limit(std::nullopt), 1010).admitted.empty())
      << "one probe at a time";
  entries.pop_back();

  const auto freed = plan_job_queue(entries, {{"claude", 5, 960}}, limit(std::nullopt), kNow);
  EXPECT_EQ(freed.admitted.size(), 3u) << "a job started after the refusal: the quota has room again";
  const auto capped = plan_job_queue(entries, {{"claude", 5, 960}}, limit(2), kNow);
  EXPECT_EQ(capped.admitted.size(), 2u);
}

TEST(JobQueue, NeverStartedSaysWhyTheBatchExpired) {
  storage::BatchRecord b;
  b.model = "claude";
  b.completion_window = "24h";
  storage::JobRecord j;
  const auto own = never_started(b, j, 1);
  EXPECT_EQ(own.code, "job_quota_full");
  EXPECT_NE(own.message.find("never started"), std::string::npos);
  EXPECT_NE(own.message.find("max_concurrent_jobs: 1"), std::string::npos);
  j.quota_full_at = 5;
  const auto bedrock = never_started(b, j, std::nullopt);
  EXPECT_EQ(bedrock.code, "job_quota_full");
  EXPECT_NE(bedrock.message.find("ServiceQuotaExceededException"), std::string::npos);
  EXPECT_EQ(never_started(b, {}, std::nullopt).code, "not_started");
}

}  // namespace
}  // namespace batchgate::batch
