#include "storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <tuple>

#include "storage/migrations.hpp"

namespace batchgate::storage {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("batchgate-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "test.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteStore> open() {
    auto store = SqliteStore::open_blocking(path_);
    EXPECT_TRUE(store.has_value());
    return std::move(*store);
  }

  static KeyRecord key(std::string hash) {
    KeyRecord k;
    k.token_hash = std::move(hash);
    k.key_name = "sk-...abcd";
    k.key_alias = "team-a";
    k.models = {"claude-batch"};
    k.max_budget = 50.0;
    k.user_id = "u1";
    k.metadata_json = R"({"env":"prod"})";
    k.expires_at = 2000;
    k.created_at = 1000;
    k.updated_at = 1000;
    return k;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, KeysRoundTripAndSurviveReopen) {
  {
    auto store = open();
    auto id = store->insert_key(key("hash-1"));
    ASSERT_TRUE(id.has_value());
    EXPECT_GT(*id, 0);
  }
  auto store = open();  // a second open must not re-run migrations or lose rows
  auto found = store->find_key_by_hash("hash-1");
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->has_value());
  const KeyRecord& k = **found;
  EXPECT_EQ(k.key_alias, "team-a");
  EXPECT_EQ(k.models, std::vector<std::string>{"claude-batch"});
  EXPECT_EQ(k.max_budget, 50.0);
  EXPECT_EQ(k.metadata_json, R"({"env":"prod"})");
  EXPECT_EQ(k.expires_at, 2000);
  EXPECT_FALSE(k.blocked);

  auto missing = store->find_key_by_hash("nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteStoreTest, DuplicateHashIsAConflict) {
  auto store = open();
  ASSERT_TRUE(store->insert_key(key("dup")).has_value());
  auto again = store->insert_key(key("dup"));
  ASSERT_TRUE(again.has_error());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteStoreTest, UpdateAppliesOnlyGivenFields) {
  auto store = open();
  ASSERT_TRUE(store->insert_key(key("h")).has_value());
  KeyUpdate u;
  u.blocked = true;
  u.models = std::vector<std::string>{"a", "b"};
  u.max_budget = std::optional<double>();  // clear the budget
  auto updated = store->update_key("h", u, 3000);
  ASSERT_TRUE(updated.has_value());
  EXPECT_TRUE(updated->blocked);
  EXPECT_EQ(updated->models, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(updated->max_budget.has_value());
  EXPECT_EQ(updated->key_alias, "team-a");
  EXPECT_EQ(updated->updated_at, 3000);

  auto reread = store->find_key_by_hash("h");
  ASSERT_TRUE(reread.has_value() && reread->has_value());
  EXPECT_TRUE((*reread)->blocked);

  auto missing = store->update_key("other", u, 3000);
  ASSERT_TRUE(missing.has_error());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, DeleteCountsOnlyExistingKeys) {
  auto store = open();
  ASSERT_TRUE(store->insert_key(key("a")).has_value());
  ASSERT_TRUE(store->insert_key(key("b")).has_value());
  auto deleted = store->delete_keys({"a", "zzz"});
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, 1);
  auto keys = store->list_keys(10, 0);
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->front().token_hash, "b");
}

TEST_F(SqliteStoreTest, KeyIdsAreNeverReused) {
  std::int64_t newest = 0;
  {
    auto store = open();
    ASSERT_TRUE(store->insert_key(key("a")).has_value());
    newest = *store->insert_key(key("b"));
    ASSERT_EQ(*store->delete_keys({"b"}), 1);  // the newest key goes
  }
  auto store = open();  // and the sequence survives a restart
  auto next = store->insert_key(key("c"));
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next, newest);
}

TEST_F(SqliteStoreTest, MigrationsCreateEveryTableOnceInWalMode) {
  { open(); }
  Database db(path_);
  EXPECT_EQ(schema_version_blocking(db), 7);
  migrate_blocking(db);  // idempotent
  EXPECT_EQ(schema_version_blocking(db), 7);
  for (const char* table : {"keys", "files", "file_records", "batches", "jobs", "spend"}) {
    auto st = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
    st.bind(1, table);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), 1) << table;
  }
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
}

TEST_F(SqliteStoreTest, UnopenablePathIsAnError) {
  auto store = SqliteStore::open_blocking((dir_ / "missing-dir" / "x.db").string());
  ASSERT_TRUE(store.has_error());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find("cannot open database"), std::string::npos);
}

}  // namespace
}  // namespace batchgate::storage

namespace batchgate::storage {
namespace {

FileRecord file(std::string id, std::optional<std::int64_t> owner, std::int64_t created,
                std::string purpose = "batch") {
  FileRecord f;
  f.id = std::move(id);
  f.owner_key_id = owner;
  f.purpose = std::move(purpose);
  f.filename = "in.jsonl";
  f.bytes = 10;
  f.created_at = created;
  f.model = "claude-batch";
  f.endpoint = "/v1/chat/completions";
  return f;
}

class SqliteFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        (std::filesystem::temp_directory_path() / ("batchgate-files-" + std::to_string(::getpid()) + ".db"))
            .string();
    std::filesystem::remove(path_);
    store_ = std::move(*SqliteStore::open_blocking(path_));
    KeyRecord k;
    k.created_at = k.updated_at = 1;
    k.token_hash = "a";
    key_a_ = *store_->insert_key(k);
    k.token_hash = "b";
    key_b_ = *store_->insert_key(k);
  }
  void TearDown() override {
    store_.reset();
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + ext);
  }
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  std::int64_t key_a_ = 0, key_b_ = 0;
};

TEST_F(SqliteFilesTest, InsertFindAndMappings) {
  std::vector<RecordMapping> maps = {{"R1", "c-1", 1, 0, 1, 0}, {"R2", "c-2", 2, 0, 1, 1}};
  ASSERT_TRUE(store_->insert_file(file("file-1", key_a_, 100), maps).has_value());
  auto f = store_->find_file("file-1");
  ASSERT_TRUE(f.has_value() && f->has_value());
  EXPECT_EQ((*f)->owner_key_id, key_a_);
  EXPECT_EQ((*f)->model, "claude-batch");
  auto m = store_->file_mappings("file-1");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[1].custom_id, "c-2");
  EXPECT_EQ((*m)[1].hints, 1);
  EXPECT_FALSE(store_->find_file("file-x")->has_value());
}

TEST_F(SqliteFilesTest, ListFiltersByOwnerPurposeAndPagesWithACursor) {
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(store_->insert_file(file("file-a" + std::to_string(i), key_a_, 100 + i), {}).has_value());
  ASSERT_TRUE(store_->insert_file(file("file-b1", key_b_, 50), {}).has_value());
  ASSERT_TRUE(store_->insert_file(file("file-out", key_a_, 200, "batch_output"), {}).has_value());

  FileQuery q;
  q.owner = key_a_;
  q.purpose = "batch";
  q.limit = 2;
  auto page1 = *store_->list_files(q);
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].id, "file-a5");  // newest first by default
  EXPECT_EQ(page1[1].id, "file-a4");
  q.after = page1[1].id;
  auto page2 = *store_->list_files(q);
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].id, "file-a3");

  q = FileQuery{};
  q.owner = key_a_;
  q.ascending = true;
  auto asc = *store_->list_files(q);
  ASSERT_EQ(asc.size(), 6u);
  EXPECT_EQ(asc.front().id, "file-a1");

  q = FileQuery{};
  q.all_owners = true;
  EXPECT_EQ(store_->list_files(q)->size(), 7u);

  // Another key's id as the cursor pages exactly like an unknown id: it does not reveal that the id exists.
  q = FileQuery{};
  q.owner = key_b_;
  q.after = "file-a3";
  auto foreign = *store_->list_files(q);
  q.after = "file-unknown";
  EXPECT_EQ(foreign.size(), store_->list_files(q)->size());
  EXPECT_TRUE(foreign.empty());
}

TEST_F(SqliteFilesTest, ExpiredFilesAreTheOnesPastTheirExpiryOldestFirst) {
  FileRecord later = file("file-later", key_a_, 1);
  later.expires_at = 500;
  FileRecord sooner = file("file-sooner", key_b_, 2);
  sooner.expires_at = 300;
  FileRecord future = file("file-future", key_a_, 3);
  future.expires_at = 5000;
  for (const FileRecord& f : {later, sooner, future, file("file-never", key_a_, 4)}) {
    ASSERT_TRUE(store_->insert_file(f, {}).has_value());
  }
  auto expired = store_->expired_files(1000, 10);
  ASSERT_TRUE(expired.has_value());
  ASSERT_EQ(expired->size(), 2u);
  EXPECT_EQ((*expired)[0].id, "file-sooner");
  EXPECT_EQ((*expired)[1].id, "file-later");
  EXPECT_EQ(store_->expired_files(1000, 1)->size(), 1u);
  EXPECT_TRUE(store_->expired_files(299, 10)->empty());
  EXPECT_EQ(store_->expired_files(500, 10)->size(), 2u) << "expires_at itself counts as expired";

  FileQuery live;
  live.all_owners = true;
  live.live_at = 1000;
  auto listed = store_->list_files(live);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u) << "expired files are not listed";
  EXPECT_EQ((*listed)[0].id, "file-never");
  EXPECT_EQ((*listed)[1].id, "file-future");

  // The input of a running batch is not due until the batch ends.
  BatchRecord running;
  running.id = "batch-1";
  running.input_file_id = "file-sooner";
  running.model = "claude-batch";
  running.status = storage::BatchStatus::kInProgress;
  JobRecord job;
  job.batch_id = "batch-1";
  ASSERT_TRUE(store_->insert_batch(running, job).has_value());
  auto still_used = store_->expired_files(1000, 10);
  ASSERT_EQ(still_used->size(), 1u);
  EXPECT_EQ((*still_used)[0].id, "file-later");
}

TEST_F(SqliteFilesTest, DeleteRemovesMappingsAndReportsMissing) {
  ASSERT_TRUE(store_->insert_file(file("file-1", key_a_, 1), {{"R1", "c", 1, 0, 1, 0}}).has_value());
  ASSERT_TRUE(store_->delete_file("file-1").has_value());
  EXPECT_TRUE(store_->file_mappings("file-1")->empty());
  auto again = store_->delete_file("file-1");
  ASSERT_TRUE(again.has_error());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace batchgate::storage

namespace batchgate::storage {
namespace {

class SqliteBatchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        (std::filesystem::temp_directory_path() / ("batchgate-batches-" + std::to_string(::getpid()) + ".db"))
            .string();
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + ext);
    store_ = std::move(*SqliteStore::open_blocking(path_));
    KeyRecord k;
    k.created_at = k.updated_at = 1;
    k.token_hash = "a";
    key_ = *store_->insert_key(k);
    ASSERT_TRUE(store_->insert_file(file("file-1", key_, 1), {}).has_value());
  }
  void TearDown() override {
    store_.reset();
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + ext);
  }
  BatchRecord batch(std::string id, std::int64_t created) {
    BatchRecord b;
    b.id = std::move(id);
    b.owner_key_id = key_;
    b.input_file_id = "file-1";
    b.endpoint = "/v1/chat/completions";
    b.model = "claude-batch";
    b.created_at = created;
    b.total = 100;
    return b;
  }
  JobRecord job(const std::string& batch_id) {
    JobRecord j;
    j.batch_id = batch_id;
    j.client_request_token = "tok-" + batch_id;
    j.job_name = "bg-" + batch_id;
    j.input_s3_uri = "s3://b/in.jsonl";
    j.output_s3_uri = "s3://b/out/";
    return j;
  }
  // Ends batch `id` completed with a spend row for `key` (default: the fixture's key).
  void complete(const std::string& id, double cost, std::optional<std::int64_t> key = std::nullopt,
                std::string user = "", std::string team = "", std::int64_t at = 0) {
    auto b = **store_->find_batch(id);
    b.status = BatchStatus::kCompleted;
    SpendRecord spend;
    spend.batch_id = id;
    spend.key_id = key.value_or(key_);
    spend.user_id = std::move(user);
    spend.team_id = std::move(team);
    spend.cost = cost;
    spend.created_at = at;
    ASSERT_TRUE(store_->finish_batch(b, {}, spend).has_value());
  }
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  std::int64_t key_ = 0;
};

TEST_F(SqliteBatchesTest, CreateReadAndCompareAndSet) {
  ASSERT_TRUE(store_->insert_batch(batch("b1", 10), job("b1")).has_value());
  auto b = **store_->find_batch("b1");
  EXPECT_EQ(b.status, storage::BatchStatus::kValidating);
  EXPECT_FALSE(b.output_expires_seconds);
  EXPECT_EQ(b.version, 0);
  auto jobs = *store_->batch_jobs("b1");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].client_request_token, "tok-b1");

  BatchRecord next = b;
  next.status = storage::BatchStatus::kInProgress;
  next.in_progress_at = 20;
  auto updated = store_->update_batch(next);
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->version, 1);
  auto stale = store_->update_batch(next);  // still version 0: someone else moved first
  ASSERT_TRUE(stale.has_error());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ((*store_->find_batch("b1"))->in_progress_at, 20);

  jobs[0].job_arn = "arn:x";
  jobs[0].stop_requested = true;
  ASSERT_TRUE(store_->update_job(jobs[0]).has_value());
  auto again = *store_->batch_jobs("b1");
  EXPECT_EQ(again[0].job_arn, "arn:x");
  EXPECT_TRUE(again[0].stop_requested);
}

// Answers of records run on demand: a repeated save changes nothing, reads page in record order, counts add
// up, and finishing the batch removes them.
TEST_F(SqliteBatchesTest, RecordResultsAreKeptOnceAndGoWithTheFinish) {
  ASSERT_TRUE(store_->insert_batch(batch("b-od", 10), job("b-od")).has_value());
  std::vector<RecordResult> first = {{"b-od", 0, 2, "{\"c\":1}", false}, {"b-od", 0, 0, "{\"a\":1}", true}};
  ASSERT_TRUE(store_->save_record_results(first).has_value());
  std::vector<RecordResult> again = {{"b-od", 0, 2, "{\"changed\":1}", true},
                                     {"b-od", 0, 1, "{\"b\":1}", false}};
  ASSERT_TRUE(store_->save_record_results(again).has_value());
  EXPECT_EQ(*store_->answered_records("b-od", 0), (std::vector<std::int64_t>{0, 1, 2}));
  auto counts = *store_->record_result_counts("b-od", 0);
  EXPECT_EQ(counts.answered, 3);
  EXPECT_EQ(counts.failed, 1);
  auto page = *store_->record_results("b-od", 0, -1, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].line, "{\"a\":1}");
  auto rest = *store_->record_results("b-od", 0, page.back().record_index, 2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].line, "{\"c\":1}") << "the first save of a record wins";
  EXPECT_TRUE(store_->answered_records("b-od", 1)->empty());
  BatchRecord b = **store_->find_batch("b-od");
  b.status = storage::BatchStatus::kCompleted;
  ASSERT_TRUE(store_->finish_batch(b, {}, std::nullopt).has_value());
  EXPECT_TRUE(store_->answered_records("b-od", 0)->empty());
}

TEST_F(SqliteBatchesTest, OutputExpiryIsKeptWithTheBatch) {
  BatchRecord b = batch("b-exp", 10);
  b.output_expires_seconds = 7200;
  ASSERT_TRUE(store_->insert_batch(b, job("b-exp")).has_value());
  EXPECT_EQ((**store_->find_batch("b-exp")).output_expires_seconds, 7200);
}

// A database written before migration step 2 (no output_expires_seconds column, no jobs.runner) opens, is
// migrated, and keeps its batches; their jobs run on the Bedrock batch job runner.
TEST_F(SqliteBatchesTest, ADatabaseFromStepOneIsMigratedWithItsRows) {
  ASSERT_TRUE(store_->insert_batch(batch("b-old", 10), job("b-old")).has_value());
  store_.reset();
  {
    Database db(path_);
    db.exec(
        "DROP INDEX jobs_started_at; ALTER TABLE jobs DROP COLUMN started_at; "
        "ALTER TABLE jobs DROP COLUMN quota_full_at; "
        "DROP INDEX files_expiry; ALTER TABLE batches DROP COLUMN output_expires_seconds; "
        "ALTER TABLE jobs DROP COLUMN runner; DROP TABLE record_results; ALTER TABLE spend DROP COLUMN "
        "pricing; "
        "DROP TABLE key_id_sequence; DROP INDEX batches_owner_status; DROP INDEX keys_user; DROP INDEX "
        "keys_team; DROP TABLE accounts; ALTER TABLE files DROP COLUMN estimated_input_tokens; ALTER TABLE "
        "files DROP COLUMN max_output_tokens; ALTER TABLE batches DROP COLUMN reserved_cost; ALTER TABLE "
        "keys "
        "DROP COLUMN budget_duration; ALTER TABLE keys DROP COLUMN budget_reset_at; "
        "DELETE FROM schema_migrations WHERE version >= 2");
    EXPECT_EQ(schema_version_blocking(db), 1);
  }
  auto reopened = SqliteStore::open_blocking(path_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  store_ = std::move(*reopened);
  auto b = store_->find_batch("b-old");
  ASSERT_TRUE(b.has_value() && b->has_value());
  EXPECT_EQ((**b).model, "claude-batch");
  EXPECT_FALSE((**b).output_expires_seconds);
  auto jobs = store_->batch_jobs("b-old");
  ASSERT_TRUE(jobs.has_value() && jobs->size() == 1);
  EXPECT_EQ(jobs->front().runner, "bedrock_batch_job");
  EXPECT_EQ((**b).reserved_cost, 0);
  Database db(path_);
  EXPECT_EQ(schema_version_blocking(db), 7);
}

// DELETE /v1/files racing batches.create: whichever commits second loses, so no batch runs over no input.
TEST_F(SqliteBatchesTest, ABatchIsNeverWrittenOverADeletedFile) {
  ASSERT_TRUE(store_->delete_file("file-1").has_value());
  auto inserted = store_->insert_batch(batch("b-late", 5), job("b-late"));
  ASSERT_TRUE(inserted.has_error());
  EXPECT_EQ(inserted.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(*store_->find_batch("b-late"));

  ASSERT_TRUE(store_->insert_file(file("file-1", key_, 1), {}).has_value());
  ASSERT_TRUE(store_->insert_batch(batch("b-first", 6), job("b-first")).has_value());
  auto deleted = store_->delete_file("file-1");
  ASSERT_TRUE(deleted.has_error());
  EXPECT_EQ(deleted.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteBatchesTest, ListNewestFirstWithCursorAndActiveOnly) {
  for (int i = 1; i <= 4; ++i) {
    auto id = "b" + std::to_string(i);
    ASSERT_TRUE(store_->insert_batch(batch(id, i), job(id)).has_value());
  }
  BatchQuery q;
  q.owner = key_;
  q.limit = 3;
  auto page = *store_->list_batches(q);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].id, "b4");
  q.after = "b2";
  page = *store_->list_batches(q);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, "b1");

  // Ids are random: batches created within the same second still list newest first.
  for (const char* id : {"zz-first", "aa-second", "mm-third"})
    ASSERT_TRUE(store_->insert_batch(batch(id, 9), job(id)).has_value());
  BatchQuery same;
  same.owner = key_;
  same.limit = 3;
  auto newest = *store_->list_batches(same);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].id, "mm-third");
  EXPECT_EQ(newest[1].id, "aa-second");
  EXPECT_EQ(newest[2].id, "zz-first");
  same.after = "aa-second";
  EXPECT_EQ(store_->list_batches(same)->front().id, "zz-first");

  auto b = **store_->find_batch("b3");
  b.status = storage::BatchStatus::kCompleted;
  ASSERT_TRUE(store_->update_batch(b).has_value());
  auto active = *store_->active_batches();
  EXPECT_EQ(active.size(), 6u);
  for (const auto& a : active) {
    EXPECT_NE(a.batch.id, "b3");
    EXPECT_EQ(a.job.batch_id, a.batch.id) << "each batch comes with its own first job";
    EXPECT_EQ(a.job.client_request_token, "tok-" + a.batch.id);
    EXPECT_EQ(a.job.output_s3_uri, "s3://b/out/");
  }
}

// The job queue reads when each key last started a job on each model, and whether a submit met a full quota.
TEST_F(SqliteBatchesTest, JobStartsAreTheLatestPerModelAndKey) {
  KeyRecord other;
  other.created_at = other.updated_at = 1;
  other.token_hash = "b";
  const std::int64_t key2 = *store_->insert_key(other);
  auto add = [&](const std::string& id, std::optional<std::int64_t> owner, std::string model,
                 std::optional<std::int64_t> started) {
    BatchRecord b = batch(id, 1);
    b.owner_key_id = owner;
    b.model = std::move(model);
    ASSERT_TRUE(store_->insert_batch(b, job(id)).has_value());
    JobRecord j = store_->batch_jobs(id)->front();
    j.started_at = started;
    j.quota_full_at = started ? std::nullopt : std::optional<std::int64_t>(7);
    ASSERT_TRUE(store_->update_job(j).has_value());
  };
  add("a1", key_, "claude-batch", 100);
  add("a2", key_, "claude-batch", 300);
  add("a3", key_, "nova-batch", 200);
  add("b1", key2, "claude-batch", 50);
  add("m1", std::nullopt, "claude-batch", 400);
  add("q1", key2, "claude-batch", std::nullopt);
  auto starts = *store_->job_starts(60);
  std::map<std::pair<std::string, std::optional<std::int64_t>>, std::int64_t> got;
  for (const auto& s : starts) got[{s.model, s.owner_key_id}] = s.started_at;
  using Key = std::pair<std::string, std::optional<std::int64_t>>;
  const std::map<Key, std::int64_t> want = {
      {{"claude-batch", key_}, 300}, {{"nova-batch", key_}, 200}, {{"claude-batch", std::nullopt}, 400}};
  EXPECT_EQ(got, want) << "b1 started before `since`; q1 never started";
  const JobRecord q1 = store_->batch_jobs("q1")->front();
  EXPECT_EQ(q1.quota_full_at, 7);
  EXPECT_FALSE(q1.started_at);
  for (const auto& a : *store_->active_batches()) {
    if (a.batch.id == "a2") {
      EXPECT_EQ(a.job.started_at, 300);
    }
  }
}

TEST_F(SqliteBatchesTest, FinishingRecordsFilesAndSpendOnce) {
  ASSERT_TRUE(store_->insert_batch(batch("b1", 1), job("b1")).has_value());
  auto b = **store_->find_batch("b1");
  b.status = storage::BatchStatus::kCompleted;
  b.output_file_id = "file-out";
  FileRecord out;
  out.id = "file-out";
  out.owner_key_id = key_;
  out.purpose = "batch_output";
  out.filename = "b1_output.jsonl";
  out.batch_id = "b1";
  SpendRecord spend;
  spend.batch_id = "b1";
  spend.key_id = key_;
  spend.model = "claude-batch";
  spend.input_tokens = 1000;
  spend.output_tokens = 500;
  spend.cost = 0.25;
  auto done = store_->finish_batch(b, {out}, spend);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE((*store_->find_file("file-out")).has_value());
  EXPECT_DOUBLE_EQ((**store_->find_key_by_hash("a")).spend, 0.25);

  // A retried finish (same batch, fresh version) must not count the spend twice.
  auto retried = store_->finish_batch(*done, {out}, spend);
  ASSERT_TRUE(retried.has_value());
  EXPECT_DOUBLE_EQ((**store_->find_key_by_hash("a")).spend, 0.25);
  SpendQuery sq;
  sq.key_id = key_;
  auto rows = *store_->list_spend(sq);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].input_tokens, 1000);
}

// A batch reserves its maximum cost while it runs: together with the key's spend and what its other running
// batches hold, it must fit into max_budget. An ended batch holds nothing; its spend counts instead.
TEST_F(SqliteBatchesTest, ReservationsHoldTheBudgetUntilTheBatchEnds) {
  KeyUpdate budget;
  budget.max_budget = std::optional<double>(1.0);
  ASSERT_TRUE(store_->update_key("a", budget, 2).has_value());
  auto reserving = [&](std::string id, double cost) {
    BatchRecord b = batch(std::move(id), 5);
    b.reserved_cost = cost;
    return b;
  };
  ASSERT_TRUE(store_->insert_batch(reserving("b1", 0.6), job("b1")).has_value());
  EXPECT_DOUBLE_EQ((**store_->find_batch("b1")).reserved_cost, 0.6);
  auto refused = store_->insert_batch(reserving("b2", 0.5), job("b2"));
  ASSERT_TRUE(refused.has_error());
  EXPECT_EQ(refused.error().code, ErrorCode::kOverBudget);
  EXPECT_NE(refused.error().message.find("reserve 0.600000"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(*store_->find_batch("b2"));                                         // nothing written
  ASSERT_TRUE(store_->insert_batch(reserving("b3", 0.4), job("b3")).has_value());  // exactly fits

  // b1 ends having cost 0.1: its 0.6 is released, 0.1 is spent, so 0.5 fits again.
  complete("b1", 0.1);
  ASSERT_TRUE(store_->insert_batch(reserving("b4", 0.5), job("b4")).has_value());
  EXPECT_EQ(store_->insert_batch(reserving("b5", 0.01), job("b5")).error().code, ErrorCode::kOverBudget);

  // A key without a budget (and the master key's batches) reserve without a limit.
  budget.max_budget = std::optional<double>();
  ASSERT_TRUE(store_->update_key("a", budget, 3).has_value());
  EXPECT_TRUE(store_->insert_batch(reserving("b6", 1000), job("b6")).has_value());
}

TEST_F(SqliteBatchesTest, BudgetsResetOnTheirOwnSchedule) {
  KeyUpdate u;
  u.budget_duration = std::optional<std::int64_t>(100);
  u.budget_reset_at = std::optional<std::int64_t>(1100);
  ASSERT_TRUE(store_->update_key("a", u, 1000).has_value());
  ASSERT_TRUE(store_->insert_batch(batch("b1", 1000), job("b1")).has_value());
  complete("b1", 0.3);

  EXPECT_EQ(*store_->reset_budgets(1099), 0);
  EXPECT_DOUBLE_EQ((**store_->find_key_by_hash("a")).spend, 0.3);
  // Found late (at 1350, three periods after the first reset was due): reset once, next on the schedule.
  EXPECT_EQ(*store_->reset_budgets(1350), 1);
  auto key = **store_->find_key_by_hash("a");
  EXPECT_DOUBLE_EQ(key.spend, 0);
  EXPECT_EQ(key.budget_reset_at, 1400);
  EXPECT_EQ(key.budget_duration, 100);
  EXPECT_EQ(*store_->reset_budgets(1399), 0);
  // The spend logs keep what was spent before the reset.
  SpendQuery q;
  q.key_id = key_;
  EXPECT_EQ(store_->list_spend(q)->size(), 1u);
}

// A team's (or user's) budget holds for all its keys together, with their running batches' reservations.
TEST_F(SqliteBatchesTest, TeamBudgetsHoldForAllTheirKeys) {
  AccountRecord team;
  team.kind = AccountKind::kTeam;
  team.id = "red";
  team.max_budget = 0.5;
  ASSERT_TRUE(store_->insert_account(team).has_value());
  EXPECT_EQ(store_->insert_account(team).error().code, ErrorCode::kConflict);
  KeyUpdate in_team;
  in_team.team_id = "red";
  ASSERT_TRUE(store_->update_key("a", in_team, 2).has_value());
  KeyRecord other;
  other.token_hash = "b";
  other.team_id = "red";
  const std::int64_t other_id = *store_->insert_key(other);

  BatchRecord first = batch("b1", 5);
  first.reserved_cost = 0.3;
  ASSERT_TRUE(store_->insert_batch(first, job("b1")).has_value());
  BatchRecord second = batch("b2", 6);
  second.owner_key_id = other_id;
  second.reserved_cost = 0.3;
  auto refused = store_->insert_batch(second, job("b2"));
  ASSERT_TRUE(refused.has_error());
  EXPECT_EQ(refused.error().code, ErrorCode::kOverBudget);
  EXPECT_NE(refused.error().message.find("team 'red'"), std::string::npos) << refused.error().message;

  complete("b1", 0.1);
  EXPECT_DOUBLE_EQ((**store_->find_account(AccountKind::kTeam, "red")).spend, 0.1);
  EXPECT_TRUE(store_->insert_batch(second, job("b2")).has_value());  // 0.1 spent + 0.3 fits in 0.5
  EXPECT_EQ(store_->account_keys(AccountKind::kTeam, "red")->size(), 2u);

  AccountUpdate periodic;
  periodic.budget_duration = std::optional<std::int64_t>(10);
  periodic.budget_reset_at = std::optional<std::int64_t>(20);
  ASSERT_TRUE(store_->update_account(AccountKind::kTeam, "red", periodic, 10).has_value());
  EXPECT_EQ(*store_->reset_budgets(20), 1);
  EXPECT_DOUBLE_EQ((**store_->find_account(AccountKind::kTeam, "red")).spend, 0);
  EXPECT_EQ(*store_->delete_accounts(AccountKind::kTeam, {"red", "blue"}), 1);
  EXPECT_FALSE(*store_->find_account(AccountKind::kTeam, "red"));
}

TEST_F(SqliteBatchesTest, SpendLogsFilterByUserTeamAndTime) {
  for (auto [id, user, team, at] :
       {std::tuple{"b1", "alice", "red", 100}, std::tuple{"b2", "bob", "red", 200},
        std::tuple{"b3", "alice", "blue", 300}}) {
    ASSERT_TRUE(store_->insert_batch(batch(id, at), job(id)).has_value());
    complete(id, 0, std::nullopt, user, team, at);
  }
  auto ids = [&](SpendQuery q) {
    q.all_keys = true;
    std::vector<std::string> out;
    for (const auto& r : *store_->list_spend(q)) out.push_back(r.batch_id);
    return out;
  };
  SpendQuery q;
  q.user_id = "alice";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"b3", "b1"}));
  q.team_id = "red";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"b1"}));
  SpendQuery window;
  window.created_from = 200;
  window.created_before = 300;
  EXPECT_EQ(ids(window), (std::vector<std::string>{"b2"}));
}

}  // namespace
}  // namespace batchgate::storage
