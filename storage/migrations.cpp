#include "storage/migrations.hpp"

#include <array>

namespace batchgate::storage {
namespace {

// Append-only: a released step is never edited, a change is a new step.
constexpr std::array<const char*, 7> kSteps = {
    R"sql(
CREATE TABLE keys (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  key_name TEXT NOT NULL,
  key_alias TEXT NOT NULL DEFAULT '',
  models TEXT NOT NULL DEFAULT '[]',
  max_budget REAL,
  spend REAL NOT NULL DEFAULT 0,
  user_id TEXT NOT NULL DEFAULT '',
  team_id TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  blocked INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  owner_key_id INTEGER REFERENCES keys(id) ON DELETE SET NULL,
  purpose TEXT NOT NULL,
  filename TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  status TEXT NOT NULL,
  model TEXT NOT NULL DEFAULT '',
  endpoint TEXT NOT NULL DEFAULT '',
  line_count INTEGER NOT NULL DEFAULT 0,
  record_count INTEGER NOT NULL DEFAULT 0,
  content_s3_uri TEXT NOT NULL DEFAULT '',
  bedrock_s3_uri TEXT NOT NULL DEFAULT '',
  bedrock_bytes INTEGER NOT NULL DEFAULT 0,
  batch_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX files_owner_created ON files(owner_key_id, created_at, id);
CREATE TABLE file_records (
  file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  record_id TEXT NOT NULL,
  custom_id TEXT NOT NULL,
  line INTEGER NOT NULL,
  part INTEGER NOT NULL DEFAULT 0,
  parts INTEGER NOT NULL DEFAULT 1,
  hints INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (file_id, record_id)
) WITHOUT ROWID;
CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  owner_key_id INTEGER REFERENCES keys(id) ON DELETE SET NULL,
  input_file_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  model TEXT NOT NULL,
  completion_window TEXT NOT NULL,
  status TEXT NOT NULL,
  output_file_id TEXT NOT NULL DEFAULT '',
  error_file_id TEXT NOT NULL DEFAULT '',
  errors TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  in_progress_at INTEGER, expires_at INTEGER, finalizing_at INTEGER, completed_at INTEGER,
  failed_at INTEGER, expired_at INTEGER, cancelling_at INTEGER, cancelled_at INTEGER,
  total INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  spend REAL NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX batches_owner_created ON batches(owner_key_id, created_at, id);
CREATE INDEX batches_status ON batches(status);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  job_index INTEGER NOT NULL,
  client_request_token TEXT NOT NULL UNIQUE,
  job_name TEXT NOT NULL,
  job_arn TEXT NOT NULL DEFAULT '',
  bedrock_status TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  input_s3_uri TEXT NOT NULL,
  output_s3_uri TEXT NOT NULL,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER NOT NULL DEFAULT 0,
  poll_interval INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  UNIQUE (batch_id, job_index)
);
CREATE TABLE spend (
  id INTEGER PRIMARY KEY,
  batch_id TEXT NOT NULL,
  key_id INTEGER,
  user_id TEXT NOT NULL DEFAULT '',
  team_id TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost REAL NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (batch_id)
);
CREATE INDEX spend_key ON spend(key_id, created_at);
)sql",
    // Expired files are found and deleted by a sweep; batches keep output_expires_after for their files.
    R"sql(
CREATE INDEX files_expiry ON files(expires_at) WHERE expires_at IS NOT NULL;
ALTER TABLE batches ADD COLUMN output_expires_seconds INTEGER;
)sql",
    // A job names the runner that runs its records (a Bedrock batch job until other runners exist).
    R"sql(
ALTER TABLE jobs ADD COLUMN runner TEXT NOT NULL DEFAULT 'bedrock_batch_job';
)sql",
    // Records run on demand keep their answers until the batch's output file holds them; spend says at which
    // price it was counted.
    R"sql(
CREATE TABLE record_results (
  batch_id TEXT NOT NULL,
  job_index INTEGER NOT NULL,
  record_index INTEGER NOT NULL,
  line TEXT NOT NULL,
  failed INTEGER NOT NULL,
  PRIMARY KEY (batch_id, job_index, record_index)
) WITHOUT ROWID;
ALTER TABLE spend ADD COLUMN pricing TEXT NOT NULL DEFAULT 'batch';
)sql",
    // Key ids are never reused: a new key must not inherit a deleted key's spend rows. The highest id ever
    // given out, starting above every id any table still holds.
    R"sql(
CREATE TABLE key_id_sequence (last_id INTEGER NOT NULL);
INSERT INTO key_id_sequence SELECT MAX(
  (SELECT COALESCE(MAX(id), 0) FROM keys), (SELECT COALESCE(MAX(key_id), 0) FROM spend),
  (SELECT COALESCE(MAX(owner_key_id), 0) FROM files), (SELECT COALESCE(MAX(owner_key_id), 0) FROM batches));
)sql",
    // Budgets that hold: a batch reserves its maximum cost while it runs (from the input file's token
    // bounds); spend may reset every budget_duration; users and teams (LiteLLM's) hold budgets for their
    // keys together. accounts.kind is 'user' or 'team'.
    R"sql(
ALTER TABLE files ADD COLUMN estimated_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN max_output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN reserved_cost REAL NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN budget_duration INTEGER;
ALTER TABLE keys ADD COLUMN budget_reset_at INTEGER;
CREATE INDEX batches_owner_status ON batches(owner_key_id, status);
CREATE TABLE accounts (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  alias TEXT NOT NULL DEFAULT '',
  max_budget REAL,
  spend REAL NOT NULL DEFAULT 0,
  budget_duration INTEGER,
  budget_reset_at INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX keys_user ON keys(user_id);
CREATE INDEX keys_team ON keys(team_id);
)sql",
    // The job queue: when each job started (whose turn is next across keys) and whether its last submit met a
    // full job quota.
    R"sql(
ALTER TABLE jobs ADD COLUMN started_at INTEGER;
ALTER TABLE jobs ADD COLUMN quota_full_at INTEGER;
CREATE INDEX jobs_started_at ON jobs(started_at) WHERE started_at IS NOT NULL;
)sql",
};

}  // namespace

int schema_version_blocking(Database& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
  auto st = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  st.step();
  return int(st.int64(0));
}

void migrate_blocking(Database& db) {
  int current = schema_version_blocking(db);
  for (int v = current + 1; v <= int(kSteps.size()); ++v) {
    Transaction tx(db);
    db.exec(kSteps[size_t(v - 1)]);
    db.prepare("INSERT INTO schema_migrations(version, applied_at) VALUES (?, strftime('%s','now'))")
        .bind(1, v)
        .run();
    tx.commit();
  }
}

}  // namespace batchgate::storage
