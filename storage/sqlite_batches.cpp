// SqliteStore: batches, their Bedrock jobs, and spend.
#include <cstdio>

#include "storage/sqlite_store.hpp"

namespace batchgate::storage {
namespace {

constexpr const char* kBatchColumns =
    "id, owner_key_id, input_file_id, endpoint, model, completion_window, status, output_file_id, "
    "error_file_id, "
    "errors, metadata, created_at, in_progress_at, expires_at, finalizing_at, completed_at, failed_at, "
    "expired_at, "
    "cancelling_at, cancelled_at, total, completed, failed, input_tokens, output_tokens, spend, version, "
    "output_expires_seconds, reserved_cost";

// "a, b, c" → "t.a, t.b, t.c", for joins.
std::string qualified(std::string_view columns, std::string_view table) {
  std::string out;
  std::size_t start = 0;
  while (start < columns.size()) {
    std::size_t end = columns.find(',', start);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view column = columns.substr(start, end - start);
    while (!column.empty() && column.front() == ' ') column.remove_prefix(1);
    if (!out.empty()) out += ", ";
    out += table;
    out += '.';
    out += column;
    start = end + 1;
  }
  return out;
}

// Reads a batch from column `first` on, in kBatchColumns order.
BatchRecord read_batch(const Statement& st, int first = 0) {
  BatchRecord b;
  b.id = st.text(first + 0);
  b.owner_key_id = st.opt_int64(first + 1);
  b.input_file_id = st.text(first + 2);
  b.endpoint = st.text(first + 3);
  b.model = st.text(first + 4);
  b.completion_window = st.text(first + 5);
  b.status = parse_batch_status(st.text(first + 6)).value_or(BatchStatus::kFailed);
  b.output_file_id = st.text(first + 7);
  b.error_file_id = st.text(first + 8);
  b.errors_json = st.text(first + 9);
  b.metadata_json = st.text(first + 10);
  b.created_at = st.int64(first + 11);
  b.in_progress_at = st.opt_int64(first + 12);
  b.expires_at = st.opt_int64(first + 13);
  b.finalizing_at = st.opt_int64(first + 14);
  b.completed_at = st.opt_int64(first + 15);
  b.failed_at = st.opt_int64(first + 16);
  b.expired_at = st.opt_int64(first + 17);
  b.cancelling_at = st.opt_int64(first + 18);
  b.cancelled_at = st.opt_int64(first + 19);
  b.total = st.int64(first + 20);
  b.completed = st.int64(first + 21);
  b.failed = st.int64(first + 22);
  b.input_tokens = st.int64(first + 23);
  b.output_tokens = st.int64(first + 24);
  b.spend = st.real(first + 25);
  b.version = st.int64(first + 26);
  b.output_expires_seconds = st.opt_int64(first + 27);
  b.reserved_cost = st.real(first + 28);
  return b;
}

constexpr const char* kJobColumns =
    "id, batch_id, job_index, client_request_token, job_name, job_arn, bedrock_status, message, "
    "input_s3_uri, "
    "output_s3_uri, stop_requested, next_poll_at, poll_interval, updated_at, runner, started_at, "
    "quota_full_at";

// Reads a job from column `first` on, in kJobColumns order.
JobRecord read_job(const Statement& st, int first = 0) {
  JobRecord j;
  j.id = st.int64(first + 0);
  j.batch_id = st.text(first + 1);
  j.job_index = st.int64(first + 2);
  j.client_request_token = st.text(first + 3);
  j.job_name = st.text(first + 4);
  j.job_arn = st.text(first + 5);
  j.bedrock_status = st.text(first + 6);
  j.message = st.text(first + 7);
  j.input_s3_uri = st.text(first + 8);
  j.output_s3_uri = st.text(first + 9);
  j.stop_requested = st.int64(first + 10) != 0;
  j.next_poll_at = st.int64(first + 11);
  j.poll_interval = st.int64(first + 12);
  j.updated_at = st.int64(first + 13);
  j.runner = st.text(first + 14);
  j.started_at = st.opt_int64(first + 15);
  j.quota_full_at = st.opt_int64(first + 16);
  return j;
}

}  // namespace

// Inside insert_batch's transaction: whether the batch's reservation, with the key's spend and what its
// running batches hold, would pass the key's max_budget. Checked and written in one transaction, so two
// creates at once cannot both fit into the same room.
std::optional<Error> SqliteStore::over_budget(const BatchRecord& b) {
  if (!b.owner_key_id) return std::nullopt;
  auto key = db_.prepare("SELECT spend, max_budget, user_id, team_id FROM keys WHERE id = ?");
  key.bind(1, *b.owner_key_id);
  if (!key.step()) return std::nullopt;
  const double spend = key.real(0);
  const std::optional<double> max_budget = key.opt_real(1);
  const std::string user_id = key.text(2);
  const std::string team_id = key.text(3);
  if (auto over = account_over_budget(b, "user_id", AccountKind::kUser, user_id)) return over;
  if (auto over = account_over_budget(b, "team_id", AccountKind::kTeam, team_id)) return over;
  if (!max_budget) return std::nullopt;
  auto held = db_.prepare(
      "SELECT COALESCE(SUM(reserved_cost), 0) FROM batches WHERE owner_key_id = ? AND status NOT IN "
      "('completed', 'failed', 'cancelled', 'expired')");
  held.bind(1, *b.owner_key_id);
  held.step();
  const double reserved = held.real(0);
  if (spend + reserved + b.reserved_cost <= *max_budget) return std::nullopt;
  char text[256];
  std::snprintf(text, sizeof text,
                "This batch may cost up to %.6f USD; the key has spent %.6f and its running batches reserve "
                "%.6f of its max_budget of %.6f USD.",
                b.reserved_cost, spend, reserved, *max_budget);
  return Error{ErrorCode::kOverBudget, text};
}

Result<void> SqliteStore::insert_batch(const BatchRecord& b, const JobRecord& j) {
  return guarded([&]() -> Result<void> {
    Transaction tx(db_);
    // The input file must still exist as the batch is written: a DELETE that won the race leaves no batch
    // over nothing (and delete_file refuses once the batch is here).
    auto input = db_.prepare("SELECT 1 FROM files WHERE id = ?");
    input.bind(1, b.input_file_id);
    if (!input.step()) return Error{ErrorCode::kNotFound, "no such file " + b.input_file_id};
    if (auto over = over_budget(b)) return *over;
    db_.prepare(
           "INSERT INTO batches (id, owner_key_id, input_file_id, endpoint, model, completion_window, "
           "status, "
           "errors, metadata, created_at, expires_at, total, output_expires_seconds, reserved_cost) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, b.id)
        .bind(2, b.owner_key_id)
        .bind(3, b.input_file_id)
        .bind(4, b.endpoint)
        .bind(5, b.model)
        .bind(6, b.completion_window)
        .bind(7, to_string(b.status))
        .bind(8, b.errors_json)
        .bind(9, b.metadata_json)
        .bind(10, b.created_at)
        .bind(11, b.expires_at)
        .bind(12, b.total)
        .bind(13, b.output_expires_seconds)
        .bind(14, b.reserved_cost)
        .run();
    db_.prepare(
           "INSERT INTO jobs (batch_id, job_index, client_request_token, job_name, input_s3_uri, "
           "output_s3_uri, "
           "next_poll_at, poll_interval, updated_at, runner) VALUES (?,?,?,?,?,?,?,?,?,?)")
        .bind(1, j.batch_id)
        .bind(2, j.job_index)
        .bind(3, j.client_request_token)
        .bind(4, j.job_name)
        .bind(5, j.input_s3_uri)
        .bind(6, j.output_s3_uri)
        .bind(7, j.next_poll_at)
        .bind(8, j.poll_interval)
        .bind(9, j.updated_at)
        .bind(10, j.runner)
        .run();
    tx.commit();
    return {};
  });
}

Result<std::optional<BatchRecord>> SqliteStore::find_batch(const std::string& id) {
  return guarded([&]() -> Result<std::optional<BatchRecord>> {
    static const std::string sql = std::string("SELECT ") + kBatchColumns + " FROM batches WHERE id = ?";
    auto st = db_.prepare(sql);
    st.bind(1, id);
    if (!st.step()) return std::optional<BatchRecord>();
    return std::optional<BatchRecord>(read_batch(st));
  });
}

Result<std::vector<BatchRecord>> SqliteStore::list_batches(const BatchQuery& q) {
  return guarded([&]() -> Result<std::vector<BatchRecord>> {
    // The cursor counts only if it is one of the caller's own batches: another key's id pages like an
    // unknown one (an empty page), never revealing that it exists.
    static const std::string sql = std::string("SELECT ") + kBatchColumns +
                                   " FROM batches WHERE (?1 = 1 OR owner_key_id IS ?2) AND (?3 = '' OR "
                                   "(created_at, rowid) < (SELECT created_at, rowid FROM batches WHERE id = "
                                   "?3 AND (?1 = 1 OR owner_key_id IS ?2))) "
                                   "ORDER BY created_at DESC, rowid DESC LIMIT ?4";
    auto st = db_.prepare(sql);
    st.bind(1, q.all_owners).bind(2, q.owner).bind(3, q.after).bind(4, q.limit);
    std::vector<BatchRecord> out;
    while (st.step()) out.push_back(read_batch(st));
    return out;
  });
}

Result<std::vector<ActiveBatch>> SqliteStore::active_batches() {
  return guarded([&]() -> Result<std::vector<ActiveBatch>> {
    static const std::string sql =
        "SELECT " + qualified(kBatchColumns, "b") + ", " + qualified(kJobColumns, "j") +
        " FROM batches b JOIN jobs j ON j.batch_id = b.id AND j.job_index = 0 WHERE "
        "b.status IN " +
        active_statuses_sql() + " ORDER BY b.created_at, b.rowid";
    static const int job_first = [] {
      int columns = 1;
      for (const char* c = kBatchColumns; *c != '\0'; ++c) columns += *c == ',';
      return columns;
    }();
    auto st = db_.prepare(sql);
    std::vector<ActiveBatch> out;
    while (st.step()) out.push_back({read_batch(st), read_job(st, job_first)});
    return out;
  });
}

void SqliteStore::write_batch(const BatchRecord& b) {
  db_.prepare(
         "UPDATE batches SET status=?, output_file_id=?, error_file_id=?, errors=?, in_progress_at=?, "
         "finalizing_at=?, completed_at=?, failed_at=?, expired_at=?, cancelling_at=?, cancelled_at=?, "
         "total=?, "
         "completed=?, failed=?, input_tokens=?, output_tokens=?, spend=?, version=version+1 "
         "WHERE id=? AND version=?")
      .bind(1, to_string(b.status))
      .bind(2, b.output_file_id)
      .bind(3, b.error_file_id)
      .bind(4, b.errors_json)
      .bind(5, b.in_progress_at)
      .bind(6, b.finalizing_at)
      .bind(7, b.completed_at)
      .bind(8, b.failed_at)
      .bind(9, b.expired_at)
      .bind(10, b.cancelling_at)
      .bind(11, b.cancelled_at)
      .bind(12, b.total)
      .bind(13, b.completed)
      .bind(14, b.failed)
      .bind(15, b.input_tokens)
      .bind(16, b.output_tokens)
      .bind(17, b.spend)
      .bind(18, b.id)
      .bind(19, b.version)
      .run();
}

Result<BatchRecord> SqliteStore::update_batch(const BatchRecord& b) {
  return guarded([&]() -> Result<BatchRecord> {
    write_batch(b);
    if (db_.changes() == 0) return Error{ErrorCode::kConflict, "batch " + b.id + " changed concurrently"};
    BatchRecord out = b;
    ++out.version;
    return out;
  });
}

Result<std::vector<JobRecord>> SqliteStore::batch_jobs(const std::string& batch_id) {
  return guarded([&]() -> Result<std::vector<JobRecord>> {
    static const std::string sql =
        std::string("SELECT ") + kJobColumns + " FROM jobs WHERE batch_id = ? ORDER BY job_index";
    auto st = db_.prepare(sql);
    st.bind(1, batch_id);
    std::vector<JobRecord> out;
    while (st.step()) out.push_back(read_job(st));
    return out;
  });
}

Result<void> SqliteStore::update_job(const JobRecord& j) {
  return guarded([&]() -> Result<void> {
    db_.prepare(
           "UPDATE jobs SET job_arn=?, bedrock_status=?, message=?, stop_requested=?, next_poll_at=?, "
           "poll_interval=?, updated_at=?, started_at=?, quota_full_at=? WHERE id=?")
        .bind(1, j.job_arn)
        .bind(2, j.bedrock_status)
        .bind(3, j.message)
        .bind(4, j.stop_requested)
        .bind(5, j.next_poll_at)
        .bind(6, j.poll_interval)
        .bind(7, j.updated_at)
        .bind(8, j.started_at)
        .bind(9, j.quota_full_at)
        .bind(10, j.id)
        .run();
    if (db_.changes() == 0) return Error{ErrorCode::kNotFound, "no such job"};
    return {};
  });
}

Result<std::vector<JobStart>> SqliteStore::job_starts(std::int64_t since) {
  return guarded([&]() -> Result<std::vector<JobStart>> {
    auto st = db_.prepare(
        "SELECT b.model, b.owner_key_id, MAX(j.started_at) FROM jobs j JOIN batches b ON b.id = j.batch_id "
        "WHERE j.started_at >= ? GROUP BY b.model, b.owner_key_id");
    st.bind(1, since);
    std::vector<JobStart> out;
    while (st.step()) out.push_back({st.text(0), st.opt_int64(1), st.int64(2)});
    return out;
  });
}

Result<BatchRecord> SqliteStore::finish_batch(const BatchRecord& b, const std::vector<FileRecord>& files,
                                              const std::optional<SpendRecord>& spend) {
  return guarded([&]() -> Result<BatchRecord> {
    Transaction tx(db_);
    write_batch(b);
    if (db_.changes() == 0) return Error{ErrorCode::kConflict, "batch " + b.id + " changed concurrently"};
    for (const auto& f : files) write_file(f);
    if (spend) {
      db_.prepare(
             "INSERT INTO spend (batch_id, key_id, user_id, team_id, model, input_tokens, output_tokens, "
             "cost, created_at, pricing) VALUES (?1, ?2, "
             "COALESCE(NULLIF(?3, ''), (SELECT user_id FROM keys WHERE id = ?2), ''), "
             "COALESCE(NULLIF(?4, ''), (SELECT team_id FROM keys WHERE id = ?2), ''), ?5, ?6, ?7, ?8, ?9, "
             "?10) "
             "ON CONFLICT(batch_id) DO NOTHING")
          .bind(1, spend->batch_id)
          .bind(2, spend->key_id)
          .bind(3, spend->user_id)
          .bind(4, spend->team_id)
          .bind(5, spend->model)
          .bind(6, spend->input_tokens)
          .bind(7, spend->output_tokens)
          .bind(8, spend->cost)
          .bind(9, spend->created_at)
          .bind(10, spend->pricing)
          .run();
      if (db_.changes() > 0 && spend->key_id) {
        db_.prepare("UPDATE keys SET spend = spend + ? WHERE id = ?")
            .bind(1, spend->cost)
            .bind(2, *spend->key_id)
            .run();
        // The key's user and team spend it too (the spend row names them).
        db_.prepare(
               "UPDATE accounts SET spend = spend + ?1 WHERE (kind = 'user' AND id = (SELECT user_id FROM "
               "spend "
               "WHERE batch_id = ?2) AND id != '') OR (kind = 'team' AND id = (SELECT team_id FROM spend "
               "WHERE "
               "batch_id = ?2) AND id != '')")
            .bind(1, spend->cost)
            .bind(2, spend->batch_id)
            .run();
      }
    }
    // The output file holds the answers of records run on demand now.
    db_.prepare("DELETE FROM record_results WHERE batch_id = ?").bind(1, b.id).run();
    tx.commit();
    BatchRecord out = b;
    ++out.version;
    return out;
  });
}

Result<std::vector<SpendRecord>> SqliteStore::list_spend(const SpendQuery& q) {
  return guarded([&]() -> Result<std::vector<SpendRecord>> {
    auto st = db_.prepare(
        "SELECT id, batch_id, key_id, user_id, team_id, model, input_tokens, output_tokens, cost, "
        "created_at, "
        "pricing FROM spend WHERE (?1 = 1 OR key_id IS ?2) AND (?4 IS NULL OR user_id = ?4) AND "
        "(?5 IS NULL OR team_id = ?5) AND (?6 IS NULL OR created_at >= ?6) AND "
        "(?7 IS NULL OR created_at < ?7) ORDER BY created_at DESC, id DESC LIMIT ?3");
    st.bind(1, q.all_keys).bind(2, q.key_id).bind(3, q.limit);
    st.bind(4, q.user_id).bind(5, q.team_id).bind(6, q.created_from).bind(7, q.created_before);
    std::vector<SpendRecord> out;
    while (st.step())
      out.push_back({st.int64(0), st.text(1), st.opt_int64(2), st.text(3), st.text(4), st.text(5),
                     st.int64(6), st.int64(7), st.real(8), st.int64(9), st.text(10)});
    return out;
  });
}

}  // namespace batchgate::storage

namespace batchgate::storage {

Result<void> SqliteStore::save_record_results(const std::vector<RecordResult>& results) {
  return guarded([&]() -> Result<void> {
    Transaction tx(db_);
    for (const RecordResult& r : results) {
      db_.prepare(
             "INSERT INTO record_results (batch_id, job_index, record_index, line, failed) VALUES "
             "(?,?,?,?,?) "
             "ON CONFLICT DO NOTHING")
          .bind(1, r.batch_id)
          .bind(2, r.job_index)
          .bind(3, r.record_index)
          .bind(4, r.line)
          .bind(5, r.failed)
          .run();
    }
    tx.commit();
    return {};
  });
}

Result<std::vector<std::int64_t>> SqliteStore::answered_records(const std::string& batch_id,
                                                                std::int64_t job_index) {
  return guarded([&]() -> Result<std::vector<std::int64_t>> {
    auto st = db_.prepare(
        "SELECT record_index FROM record_results WHERE batch_id = ? AND job_index = ? ORDER BY record_index");
    st.bind(1, batch_id).bind(2, job_index);
    std::vector<std::int64_t> out;
    while (st.step()) out.push_back(st.int64(0));
    return out;
  });
}

Result<RecordResultCounts> SqliteStore::record_result_counts(const std::string& batch_id,
                                                             std::int64_t job_index) {
  return guarded([&]() -> Result<RecordResultCounts> {
    auto st = db_.prepare(
        "SELECT count(*), COALESCE(sum(failed), 0) FROM record_results WHERE batch_id = ? AND job_index = ?");
    st.bind(1, batch_id).bind(2, job_index);
    st.step();
    return RecordResultCounts{st.int64(0), st.int64(1)};
  });
}

Result<std::vector<RecordResult>> SqliteStore::record_results(const std::string& batch_id,
                                                              std::int64_t job_index, std::int64_t after,
                                                              std::int64_t limit) {
  return guarded([&]() -> Result<std::vector<RecordResult>> {
    auto st = db_.prepare(
        "SELECT record_index, line, failed FROM record_results WHERE batch_id = ? AND job_index = ? AND "
        "record_index > ? ORDER BY record_index LIMIT ?");
    st.bind(1, batch_id).bind(2, job_index).bind(3, after).bind(4, limit);
    std::vector<RecordResult> out;
    while (st.step()) out.push_back({batch_id, job_index, st.int64(0), st.text(1), st.int64(2) != 0});
    return out;
  });
}

}  // namespace batchgate::storage
