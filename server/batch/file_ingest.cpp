#include "server/batch/file_ingest.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "server/aws/s3_client.hpp"
#include "server/common/blocking.hpp"
#include "server/common/numbers.hpp"
#include "server/common/utf8.hpp"

namespace batchgate::batch {
namespace {

using boost::asio::awaitable;

constexpr std::size_t kMaxLine = 32 << 20;  // one request (Claude accepts 20 MB bodies)
constexpr const char* kJsonl = "application/jsonl";

ApiError write_failed(const aws::S3Error& e) {
  return storage_unavailable("storing an upload: " + e.to_string());
}

ApiError refused(const files::BatchFileChecker& checker) {
  std::string message = "The file has " + std::to_string(checker.problem_count()) + " invalid line" +
                        (checker.problem_count() == 1 ? "" : "s") + "; nothing was stored.";
  nlohmann::json data = nlohmann::json::array();
  for (const auto& p : checker.problems()) {
    message += p.line > 0 ? " Line " + std::to_string(p.line) + ": " + p.message : " " + p.message;
    data.push_back({{"code", p.code},
                    {"message", p.message},
                    {"param", p.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.param)},
                    {"line", p.line > 0 ? nlohmann::json(p.line) : nlohmann::json(nullptr)}});
  }
  if (checker.problem_count() > std::int64_t(checker.problems().size()))
    message += " (first " + std::to_string(checker.problems().size()) + " shown)";
  ApiError e = ApiError::invalid(message, "file", checker.problems().front().code);
  e.extra_json = nlohmann::json{{"errors", {{"object", "list"}, {"data", std::move(data)}}}}.dump();
  return e;
}

std::vector<std::string> split_names(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string name = value.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) out.push_back(std::move(name));
    start = comma + 1;
  }
  return out;
}

}  // namespace

FileIngest::FileIngest(const CoreDeps& deps, const Principal& who)
    : d_(deps),
      who_(who),
      splitter_(kMaxLine),
      file_id_(deps.ids.file_id()),
      spool_(std::make_unique<Spool>(deps.blocking, deps.settings.server.spool_dir)) {}

FileIngest::~FileIngest() = default;

std::unique_ptr<files::BatchFileChecker> FileIngest::make_checker(std::optional<std::string> pinned) const {
  return std::make_unique<files::BatchFileChecker>(
      d_.settings, [this](std::string_view m) { return who_.may_use_model(m); },
      files::CheckLimits{d_.settings.server.max_upload_lines, 100}, std::move(pinned));
}

awaitable<std::optional<ApiError>> FileIngest::begin_file(std::string filename) {
  if (saw_file_) co_return ApiError::invalid("Send exactly one 'file' part.", "file");
  saw_file_ = true;
  filename_ = std::move(filename);
  pinned_ = fields_.target_models.size() == 1;
  checker_ = make_checker(pinned_ ? std::optional(fields_.target_models[0]) : std::nullopt);
  co_return std::nullopt;
}

awaitable<std::optional<ApiError>> FileIngest::file_data(std::string_view data) {
  bytes_ += std::int64_t(data.size());
  splitter_.feed(data);
  while (auto line = splitter_.next_line()) checker_->add_line(line->text, line->too_long, records_);
  if (original_) {
    if (auto w = co_await original_->write(data); w.has_error()) co_return write_failed(w.error());
  } else if (waiting_may_help()) {
    if (auto err = co_await spool_->append(data)) co_return err;
  }
  co_return co_await flush();
}

awaitable<std::optional<ApiError>> FileIngest::end_file() {
  if (auto line = splitter_.finish()) checker_->add_line(line->text, line->too_long, records_);
  checker_->finish();
  co_return co_await flush();
}

// The original bytes are worth keeping while no writer exists: no line has named the model yet, or only
// target_model_names, still to come, can name it.
bool FileIngest::waiting_may_help() const {
  return checker_->ok() || (!pinned_ && checker_->only_unknown_models());
}

// Starts the writers once a line has named the model (it decides the bucket), and hands over what waited.
awaitable<std::optional<ApiError>> FileIngest::flush() {
  if (!checker_->ok()) {
    // Refused unless a later target_model_names helps: stop storing, keep checking so every bad line is
    // reported.
    co_await abort_writers();
    records_.clear();
    if (!waiting_may_help()) co_await spool_->clear();
    co_return std::nullopt;
  }
  if (!original_ && checker_->model()) {
    if (auto err = co_await start_writers(*checker_->model())) co_return err;
  }
  if (records_writer_ && !records_.empty()) {
    auto w = co_await records_writer_->write(records_);
    if (w.has_error()) co_return write_failed(w.error());
    records_.clear();
  }
  co_return std::nullopt;
}

awaitable<std::optional<ApiError>> FileIngest::start_writers(const config::Model& model) {
  model_ = &model;
  objects_ = input_file_objects(model, file_id_);
  ObjectStore& store = d_.objects(model);
  // S3's minimum part size keeps the two part buffers (and the part in flight) small: memory stays flat.
  original_ = store.writer(objects_.original, aws::MultipartUploader::kMinPartSize, kJsonl);
  records_writer_ = store.writer(objects_.records, aws::MultipartUploader::kMinPartSize, kJsonl);
  for (std::uint64_t at = 0; at < spool_->size();) {
    auto chunk = co_await spool_->read(at, Spool::kMemoryBytes);
    if (auto* e = std::get_if<ApiError>(&chunk)) co_return *e;
    const std::string& bytes = std::get<std::string>(chunk);
    at += bytes.size();
    if (auto w = co_await original_->write(bytes); w.has_error()) co_return write_failed(w.error());
  }
  co_await spool_->clear();
  co_return std::nullopt;
}

awaitable<void> FileIngest::abort() {
  co_await abort_writers();
  co_await spool_->clear();
}

awaitable<void> FileIngest::abort_writers() {
  for (auto* writer : {&original_, &records_writer_}) {
    if (!*writer) continue;
    if (auto r = co_await (*writer)->abort(); r.has_error())
      spdlog::warn("upload {}: aborting a write failed: {}", file_id_, r.error().to_string());
    writer->reset();
  }
}

std::optional<ApiError> FileIngest::field(const std::string& name, const std::string& value) {
  if (name == "purpose") {
    fields_.purpose = value;
  } else if (name == "target_model_names" || name == "target_model_names[]") {
    for (auto& n : split_names(value)) fields_.target_models.push_back(std::move(n));
  } else if (name == "expires_after[seconds]") {
    fields_.expires_seconds = parse_whole_number(value);
    if (!fields_.expires_seconds)
      return ApiError::invalid("expires_after[seconds] must be a whole number.", "expires_after.seconds");
    if (*fields_.expires_seconds < 3600 || *fields_.expires_seconds > 2592000)
      return ApiError::invalid("expires_after[seconds] must be between 3600 and 2592000.",
                               "expires_after.seconds");
  } else if (name == "expires_after[anchor]") {
    if (value != "created_at")
      return ApiError::invalid("expires_after[anchor] must be 'created_at'.", "expires_after.anchor");
    fields_.expires_anchor = value;
  } else {
    return ApiError::invalid(
        "Form field '" + name +
            "' is not supported here. Send 'file' and 'purpose', and optionally "
            "'target_model_names', 'expires_after[anchor]' and 'expires_after[seconds]'.",
        name, "unknown_parameter");
  }
  return std::nullopt;
}

// target_model_names sent after the file part (the OpenAI Node SDK sends extra fields last): whether the file
// can still be translated for it.
std::optional<ApiError> FileIngest::check_late_target() const {
  const std::string& target = fields_.target_models[0];
  if (!d_.settings.find_model(target))
    return ApiError::invalid(
        "target_model_names names " + excerpt(target) + ", which is not a configured model.",
        "target_model_names", "model_not_found");
  if (original_)
    return ApiError::invalid("target_model_names '" + target +
                                 "' arrived after the file part, whose lines name '" +
                                 checker_->model_name() +
                                 "', a configured model they were already stored for. "
                                 "Send target_model_names before the file part, or name '" +
                                 target + "' in the lines' body.model.",
                             "target_model_names", "target_after_file");
  // Problems other than the lines' unknown model stay whatever the target: report them.
  if (!checker_->only_unknown_models()) return refused(*checker_);
  return std::nullopt;
}

// Translates the whole file again for the late target, from the spool that kept it.
awaitable<std::optional<ApiError>> FileIngest::apply_late_target() {
  const std::string target = fields_.target_models[0];
  if (checker_->ok() && checker_->model_name() == target) co_return std::nullopt;
  if (auto err = check_late_target()) co_return err;
  std::unique_ptr<Spool> source =
      std::exchange(spool_, std::make_unique<Spool>(d_.blocking, d_.settings.server.spool_dir));
  checker_ = make_checker(target);
  pinned_ = true;
  records_.clear();
  splitter_ = LineSplitter(kMaxLine);
  bytes_ = 0;
  for (std::uint64_t at = 0; at < source->size();) {
    auto chunk = co_await source->read(at, Spool::kMemoryBytes);
    if (auto* e = std::get_if<ApiError>(&chunk)) co_return *e;
    const std::string bytes = std::get<std::string>(std::move(chunk));
    at += bytes.size();
    if (auto err = co_await file_data(bytes)) co_return err;
  }
  co_await source->clear();
  co_return co_await end_file();
}

// What the whole form must say, checked once every part arrived.
std::optional<ApiError> FileIngest::check_form() {
  if (!saw_file_) return ApiError::invalid("The 'file' part is missing.", "file");
  if (fields_.purpose.empty())
    return ApiError::invalid("The 'purpose' field is missing; use purpose=batch.", "purpose");
  if (fields_.purpose != "batch")
    return ApiError::invalid(
        "purpose '" + fields_.purpose +
            "' is not served here: this gateway stores batch input files (purpose=batch).",
        "purpose", "unsupported_purpose");
  if (fields_.target_models.size() > 1)
    return ApiError::invalid("Name one model in target_model_names; a file is translated for one model.",
                             "target_model_names");
  return std::nullopt;
}

// Completes both objects; a failure of the second removes the first again.
awaitable<std::optional<ApiError>> FileIngest::complete_objects() {
  auto original = co_await original_->finish();
  original_.reset();
  if (original.has_error()) co_return write_failed(original.error());
  auto records = co_await records_writer_->finish();
  if (records.has_error()) {
    records_writer_.reset();
    (void)co_await d_.objects(*model_).remove(objects_.original);
    co_return write_failed(records.error());
  }
  co_return std::nullopt;
}

storage::FileRecord FileIngest::file_row(std::int64_t bedrock_bytes) const {
  storage::FileRecord f;
  f.id = file_id_;
  f.owner_key_id = who_.owner_id();
  f.purpose = "batch";
  f.filename = filename_.empty() ? "upload.jsonl" : filename_;
  f.bytes = bytes_;
  f.created_at = d_.clock.now_seconds();
  if (fields_.expires_seconds) f.expires_at = f.created_at + *fields_.expires_seconds;
  f.model = model_->model_name;
  f.endpoint = std::string(translators::endpoint_url(*checker_->endpoint()));
  f.line_count = checker_->request_count();
  f.record_count = checker_->record_count();
  f.estimated_input_tokens = checker_->estimated_input_tokens();
  f.max_output_tokens = checker_->max_output_tokens();
  f.content_s3_uri = aws::s3_uri(objects_.original);
  f.bedrock_s3_uri = aws::s3_uri(objects_.records);
  f.bedrock_bytes = bedrock_bytes;
  return f;
}

awaitable<std::variant<storage::FileRecord, ApiError>> FileIngest::finish() {
  std::optional<ApiError> err = check_form();
  if (!err && fields_.target_models.size() == 1 && !pinned_) err = co_await apply_late_target();
  if (!err && !checker_->ok()) err = refused(*checker_);
  if (!err) err = co_await flush();
  if (!err && !original_) err = ApiError::internal("No upload was started for a valid file.");
  if (err) {
    co_await abort();
    co_return *err;
  }
  const auto bedrock_bytes = std::int64_t(records_writer_->bytes_written());
  if (auto failed = co_await complete_objects()) {
    co_await abort();
    co_return *failed;
  }
  records_writer_.reset();
  storage::FileRecord f = file_row(bedrock_bytes);
  auto inserted =
      co_await run_blocking(d_.blocking, [&] { return d_.store.insert_file(f, checker_->mappings()); });
  if (inserted.has_error()) {
    ObjectStore& store = d_.objects(*model_);
    (void)co_await store.remove(objects_.original);
    (void)co_await store.remove(objects_.records);
    co_return storage_unavailable("storing file row " + f.id + ": " + inserted.error().message);
  }
  co_return f;
}

}  // namespace batchgate::batch
