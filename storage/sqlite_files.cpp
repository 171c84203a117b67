// SqliteStore: files and their record mappings.
#include "storage/sqlite_store.hpp"

namespace batchgate::storage {
namespace {

constexpr const char* kFileColumns =
    "id, owner_key_id, purpose, filename, bytes, created_at, expires_at, status, model, endpoint, "
    "line_count, "
    "record_count, content_s3_uri, bedrock_s3_uri, bedrock_bytes, batch_id, estimated_input_tokens, "
    "max_output_tokens";

FileRecord read_file(const Statement& st) {
  FileRecord f;
  f.id = st.text(0);
  f.owner_key_id = st.opt_int64(1);
  f.purpose = st.text(2);
  f.filename = st.text(3);
  f.bytes = st.int64(4);
  f.created_at = st.int64(5);
  f.expires_at = st.opt_int64(6);
  f.status = st.text(7);
  f.model = st.text(8);
  f.endpoint = st.text(9);
  f.line_count = st.int64(10);
  f.record_count = st.int64(11);
  f.content_s3_uri = st.text(12);
  f.bedrock_s3_uri = st.text(13);
  f.bedrock_bytes = st.int64(14);
  f.batch_id = st.text(15);
  f.estimated_input_tokens = st.int64(16);
  f.max_output_tokens = st.int64(17);
  return f;
}

}  // namespace

void SqliteStore::write_file(const FileRecord& f) {
  db_.prepare(
         "INSERT INTO files (id, owner_key_id, purpose, filename, bytes, created_at, expires_at, status, "
         "model, "
         "endpoint, line_count, record_count, content_s3_uri, bedrock_s3_uri, bedrock_bytes, batch_id, "
         "estimated_input_tokens, max_output_tokens) "
         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING")
      .bind(1, f.id)
      .bind(2, f.owner_key_id)
      .bind(3, f.purpose)
      .bind(4, f.filename)
      .bind(5, f.bytes)
      .bind(6, f.created_at)
      .bind(7, f.expires_at)
      .bind(8, f.status)
      .bind(9, f.model)
      .bind(10, f.endpoint)
      .bind(11, f.line_count)
      .bind(12, f.record_count)
      .bind(13, f.content_s3_uri)
      .bind(14, f.bedrock_s3_uri)
      .bind(15, f.bedrock_bytes)
      .bind(16, f.batch_id)
      .bind(17, f.estimated_input_tokens)
      .bind(18, f.max_output_tokens)
      .run();
}

Result<void> SqliteStore::insert_file(const FileRecord& f, const std::vector<RecordMapping>& mappings) {
  return guarded([&]() -> Result<void> {
    Transaction tx(db_);
    write_file(f);
    if (db_.changes() == 0) return Error{ErrorCode::kConflict, "file id exists"};
    for (const auto& m : mappings) {
      db_.prepare(
             "INSERT INTO file_records (file_id, record_id, custom_id, line, part, parts, hints) "
             "VALUES (?,?,?,?,?,?,?)")
          .bind(1, f.id)
          .bind(2, m.record_id)
          .bind(3, m.custom_id)
          .bind(4, m.line)
          .bind(5, m.part)
          .bind(6, m.parts)
          .bind(7, m.hints)
          .run();
    }
    tx.commit();
    return {};
  });
}

Result<std::optional<FileRecord>> SqliteStore::find_file(const std::string& id) {
  return guarded([&]() -> Result<std::optional<FileRecord>> {
    static const std::string sql = std::string("SELECT ") + kFileColumns + " FROM files WHERE id = ?";
    auto st = db_.prepare(sql);
    st.bind(1, id);
    if (!st.step()) return std::optional<FileRecord>();
    return std::optional<FileRecord>(read_file(st));
  });
}

Result<std::vector<FileRecord>> SqliteStore::list_files(const FileQuery& q) {
  return guarded([&]() -> Result<std::vector<FileRecord>> {
    // The cursor is a file id: rows strictly after it in (created_at, insertion) order, as OpenAI's `after`;
    // ids are random, so insertion order (rowid) breaks ties within a second. Only the caller's own file
    // counts as a cursor: another key's id pages like an unknown one.
    const char* cmp = q.ascending ? ">" : "<";
    const char* dir = q.ascending ? "ASC" : "DESC";
    std::string sql = std::string("SELECT ") + kFileColumns +
                      " FROM files WHERE (?1 = 1 OR owner_key_id IS ?2) AND (?3 = '' OR purpose = ?3) AND "
                      "(?4 = '' OR (created_at, rowid) " +
                      cmp +
                      " (SELECT created_at, rowid FROM files WHERE id = ?4 AND (?1 = 1 OR owner_key_id IS "
                      "?2))) AND (?6 IS NULL OR expires_at IS NULL "
                      "OR expires_at > ?6) ORDER BY created_at " +
                      dir + ", rowid " + dir + " LIMIT ?5";
    auto st = db_.prepare(sql);
    st.bind(1, q.all_owners)
        .bind(2, q.owner)
        .bind(3, q.purpose)
        .bind(4, q.after)
        .bind(5, q.limit)
        .bind(6, q.live_at);
    std::vector<FileRecord> out;
    while (st.step()) out.push_back(read_file(st));
    return out;
  });
}

Result<void> SqliteStore::delete_file(const std::string& id) {
  return guarded([&]() -> Result<void> {
    Transaction tx(db_);
    static const std::string sql =
        "SELECT id FROM batches WHERE input_file_id = ? AND status IN " + active_statuses_sql() + " LIMIT 1";
    auto busy = db_.prepare(sql);
    busy.bind(1, id);
    if (busy.step())
      return Error{ErrorCode::kConflict,
                   "file is the input of batch " + busy.text(0) + ", which is still running"};
    db_.prepare("DELETE FROM files WHERE id = ?").bind(1, id).run();
    if (db_.changes() == 0) return Error{ErrorCode::kNotFound, "no such file"};
    tx.commit();
    return {};
  });
}

Result<std::vector<FileRecord>> SqliteStore::expired_files(std::int64_t now, std::int64_t limit) {
  return guarded([&]() -> Result<std::vector<FileRecord>> {
    static const std::string sql =
        std::string("SELECT ") + kFileColumns +
        " FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? AND id NOT IN "
        "(SELECT input_file_id FROM batches WHERE status IN " +
        active_statuses_sql() + ") ORDER BY expires_at, rowid LIMIT ?";
    auto st = db_.prepare(sql);
    st.bind(1, now).bind(2, limit);
    std::vector<FileRecord> out;
    while (st.step()) out.push_back(read_file(st));
    return out;
  });
}

Result<std::vector<RecordMapping>> SqliteStore::file_mappings(const std::string& file_id) {
  return guarded([&]() -> Result<std::vector<RecordMapping>> {
    auto st = db_.prepare(
        "SELECT record_id, custom_id, line, part, parts, hints FROM file_records WHERE file_id = ? ORDER BY "
        "record_id");
    st.bind(1, file_id);
    std::vector<RecordMapping> out;
    while (st.step())
      out.push_back({st.text(0), st.text(1), st.int64(2), st.int64(3), st.int64(4), st.int64(5)});
    return out;
  });
}

}  // namespace batchgate::storage
