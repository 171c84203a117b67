#include "job_store.hpp"

#include <gtest/gtest.h>

namespace batchgate::bedrock_emulator {
namespace {

using namespace std::chrono_literals;

class EmulatorJobStoreTest : public testing::Test {
 protected:
  EmulatorJobStoreTest()
      : now_(*parse_iso8601("2024-01-15T12:00:00Z")),
        store_(
            StoreSettings{}, [this] { return now_; },
            [this] {
              const std::string n = std::to_string(++ids_);
              return "job" + std::string(9 - n.size(), '0') + n;
            }) {}

  CreateRequest request(std::string name, std::optional<std::string> token = std::nullopt) {
    CreateRequest r;
    r.job_name = std::move(name);
    r.role_arn = "arn:aws:iam::123456789012:role/R";
    r.client_request_token = std::move(token);
    r.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
    r.input_s3_uri = "s3://in/x.jsonl";
    r.output_s3_uri = "s3://out/";
    return r;
  }

  Job& create(std::string name) {
    auto created = store_.create(request(std::move(name)), false);
    return *std::get<JobStore::Created>(created).job;
  }

  TimePoint now_;
  int ids_ = 0;
  JobStore store_;
};

TEST(EmulatorJobStatus, TransitionTableOfSpecSection6) {
  using S = JobStatus;
  const std::vector<std::pair<S, S>> allowed{{S::kSubmitted, S::kValidating},
                                             {S::kValidating, S::kScheduled},
                                             {S::kValidating, S::kFailed},
                                             {S::kScheduled, S::kInProgress},
                                             {S::kScheduled, S::kExpired},
                                             {S::kInProgress, S::kCompleted},
                                             {S::kInProgress, S::kPartiallyCompleted},
                                             {S::kInProgress, S::kFailed},
                                             {S::kSubmitted, S::kStopping},
                                             {S::kValidating, S::kStopping},
                                             {S::kScheduled, S::kStopping},
                                             {S::kInProgress, S::kStopping},
                                             {S::kStopping, S::kStopped}};
  for (const auto& [from, to] : allowed) {
    EXPECT_TRUE(is_allowed_transition(from, to)) << to_string(from) << "->" << to_string(to);
  }
  const std::vector<std::pair<S, S>> refused{{S::kSubmitted, S::kInProgress}, {S::kCompleted, S::kStopping},
                                             {S::kStopped, S::kStopping},     {S::kStopping, S::kCompleted},
                                             {S::kInProgress, S::kExpired},   {S::kFailed, S::kScheduled},
                                             {S::kScheduled, S::kCompleted}};
  for (const auto& [from, to] : refused) {
    EXPECT_FALSE(is_allowed_transition(from, to)) << to_string(from) << "->" << to_string(to);
  }
  for (const auto* name : {"Submitted", "InProgress", "Completed", "Failed", "Stopping", "Stopped",
                           "PartiallyCompleted", "Expired", "Validating", "Scheduled"}) {
    ASSERT_TRUE(parse_job_status(name));
    EXPECT_EQ(to_string(*parse_job_status(name)), name);
  }
  EXPECT_FALSE(parse_job_status("Running"));
}

TEST_F(EmulatorJobStoreTest, LifecycleStampsTimes) {
  Job& job = create("job-a");
  EXPECT_EQ(job.arn, "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/job000000001");
  EXPECT_EQ(job.status, JobStatus::kSubmitted);
  EXPECT_EQ(job.timeout_hours, 168);
  EXPECT_EQ(job.expiration_time, now_ + 168h);
  now_ += 5s;
  ASSERT_TRUE(store_.transition(job, JobStatus::kValidating));
  EXPECT_EQ(job.last_modified_time, now_);
  EXPECT_FALSE(job.end_time);
  EXPECT_FALSE(store_.transition(job, JobStatus::kCompleted));
  EXPECT_EQ(job.status, JobStatus::kValidating);
  ASSERT_TRUE(store_.transition(job, JobStatus::kScheduled));
  ASSERT_TRUE(store_.transition(job, JobStatus::kInProgress));
  now_ += 1min;
  ASSERT_TRUE(store_.transition(job, JobStatus::kCompleted));
  EXPECT_EQ(job.end_time, now_);

  const auto json = job_to_json(job);
  EXPECT_EQ(json["status"], "Completed");
  EXPECT_EQ(json["submitTime"], "2024-01-15T12:00:00.000Z");
  EXPECT_EQ(json["endTime"], "2024-01-15T12:01:05.000Z");
  EXPECT_EQ(json["jobExpirationTime"], "2024-01-22T12:00:00.000Z");
  EXPECT_EQ(json["inputDataConfig"]["s3InputDataConfig"]["s3InputFormat"], "JSONL");
}

TEST_F(EmulatorJobStoreTest, TimeoutHoursAndCompression) {
  auto r = request("job-t");
  r.timeout_hours = 24;
  store_.set_seconds_per_timeout_hour(1.0);
  auto created = store_.create(r, false);
  const Job& job = *std::get<JobStore::Created>(created).job;
  EXPECT_EQ(job.timeout_hours, 24);
  EXPECT_EQ(job.expiration_time, now_ + 24s);
}

TEST_F(EmulatorJobStoreTest, SameTokenReturnsOriginalJob) {
  auto first = store_.create(request("job-a", "tok-1"), false);
  auto again = store_.create(request("job-b", "tok-1"), false);
  ASSERT_TRUE(std::holds_alternative<JobStore::Created>(again));
  EXPECT_FALSE(std::get<JobStore::Created>(again).is_new);
  EXPECT_EQ(std::get<JobStore::Created>(again).job, std::get<JobStore::Created>(first).job);
  EXPECT_EQ(store_.created_count(), 1u);
}

TEST_F(EmulatorJobStoreTest, QuotaCountsActiveJobsOnly) {
  store_.set_max_concurrent_jobs(2);
  Job& a = create("a");
  create("b");
  auto third = store_.create(request("c"), false);
  ASSERT_TRUE(std::holds_alternative<ApiError>(third));
  EXPECT_EQ(std::get<ApiError>(third).type, "ServiceQuotaExceededException");
  EXPECT_EQ(std::get<ApiError>(third).status, 400);
  store_.transition(a, JobStatus::kValidating);
  store_.transition(a, JobStatus::kFailed, "no input");
  EXPECT_TRUE(std::holds_alternative<JobStore::Created>(store_.create(request("c"), false)));
  auto forced = store_.create(request("d"), true);
  ASSERT_TRUE(std::holds_alternative<ApiError>(forced));
}

TEST_F(EmulatorJobStoreTest, FindByArnOrIdOnly) {
  Job& job = create("a");
  EXPECT_EQ(store_.find(job.id), &job);
  EXPECT_EQ(store_.find(job.arn), &job);
  EXPECT_EQ(store_.find("arn:aws:bedrock:us-west-2:123456789012:model-invocation-job/" + job.id), nullptr);
  EXPECT_EQ(store_.find("zzzzzzzzzzzz"), nullptr);
}

TEST_F(EmulatorJobStoreTest, StopSemantics) {
  Job& job = create("a");
  EXPECT_FALSE(store_.request_stop(job));
  EXPECT_EQ(job.status, JobStatus::kStopping);
  EXPECT_FALSE(store_.request_stop(job));  // Stopping again is a success (spec §6)
  store_.transition(job, JobStatus::kStopped);
  const auto error = store_.request_stop(job);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "ValidationException");
  EXPECT_EQ(error->message, "Job cannot be stopped. State was: Stopped");
}

TEST_F(EmulatorJobStoreTest, ListPagesDescendingByDefault) {
  for (int i = 0; i < 7; ++i) {
    create("job-" + std::to_string(i));
    now_ += 1s;
  }
  ListQuery query;
  query.max_results = 3;
  std::vector<std::string> names;
  int pages = 0;
  while (true) {
    auto page = store_.list(query);
    ASSERT_TRUE(std::holds_alternative<ListPage>(page));
    const auto& p = std::get<ListPage>(page);
    for (const Job* job : p.jobs) names.push_back(job->request.job_name);
    ++pages;
    if (!p.next_token) break;
    query.next_token = p.next_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"job-6", "job-5", "job-4", "job-3", "job-2", "job-1", "job-0"}));

  ListQuery ascending;
  ascending.sort_order = SortOrder::kAscending;
  ascending.name_contains = "job-1";
  ascending.submit_time_after = *parse_iso8601("2024-01-15T11:00:00Z");
  const auto page = std::get<ListPage>(store_.list(ascending));
  ASSERT_EQ(page.jobs.size(), 1u);
  EXPECT_FALSE(page.next_token);

  ListQuery exact;
  exact.max_results = 7;
  EXPECT_FALSE(std::get<ListPage>(store_.list(exact)).next_token);  // no empty last page

  ListQuery bad;
  bad.next_token = "garbage";
  ASSERT_TRUE(std::holds_alternative<ApiError>(store_.list(bad)));
}

TEST_F(EmulatorJobStoreTest, ListFiltersByStatusAndTime) {
  Job& a = create("a");
  now_ += 10s;
  create("b");
  store_.transition(a, JobStatus::kValidating);
  ListQuery by_status;
  by_status.status_equals = JobStatus::kValidating;
  EXPECT_EQ(std::get<ListPage>(store_.list(by_status)).jobs.size(), 1u);
  ListQuery before;
  before.submit_time_before = *parse_iso8601("2024-01-15T12:00:05Z");
  const auto page = std::get<ListPage>(store_.list(before));
  ASSERT_EQ(page.jobs.size(), 1u);
  EXPECT_EQ(page.jobs[0]->request.job_name, "a");
}

}  // namespace
}  // namespace batchgate::bedrock_emulator
