#include "server/api/file_upload.hpp"

#include <spdlog/spdlog.h>

#include "server/api/backends.hpp"
#include "server/files/batch_file_checker.hpp"
#include "server/http/blocking.hpp"
#include "server/http/multipart.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::Response;

// While no line has named a usable model yet, the original bytes wait in memory (the model decides the
// bucket). A file whose first 16 MiB name no configured model is refused anyway, or needs target_model_names.
constexpr std::size_t kPendingCap = 16 << 20;
constexpr std::size_t kMaxLine = 32 << 20;       // one request (Claude accepts 20 MB bodies)
constexpr std::size_t kMaxFieldBytes = 64 << 10;  // non-file form fields

ApiError storage_error(const std::string& what) {
  return {ErrorKind::kUnavailable, "Storing the file failed (" + what + "); try again.", {}, "storage_unavailable"};
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

class Upload {
 public:
  Upload(AppContext& app, http::Request& req, const Principal& who)
      : app_(app), req_(req), who_(who), splitter_(kMaxLine), file_id_(app.ids.file_id()) {}

  awaitable<Response> run();

 private:
  struct Fields {
    std::string purpose;
    std::vector<std::string> target_models;
    std::optional<std::int64_t> expires_seconds;
    std::string expires_anchor;
  };

  awaitable<std::optional<ApiError>> on_file_data(std::string_view data);
  awaitable<std::optional<ApiError>> on_file_end();
  awaitable<std::optional<ApiError>> flush();
  awaitable<std::optional<ApiError>> start_uploads(const config::Model& model);
  awaitable<void> abort_uploads();
  std::optional<ApiError> take_field(const std::string& name, const std::string& value);
  std::optional<ApiError> apply_late_target();
  awaitable<Response> store();

  std::unique_ptr<files::BatchFileChecker> make_checker(std::optional<std::string> pinned) {
    return std::make_unique<files::BatchFileChecker>(
        app_.settings, [this](std::string_view m) { return who_.may_use_model(m); },
        files::CheckLimits{app_.settings.server.max_upload_lines, 100}, std::move(pinned));
  }

  AppContext& app_;
  http::Request& req_;
  const Principal& who_;
  http::LineSplitter splitter_;
  std::string file_id_;
  Fields fields_;
  std::string filename_;
  bool saw_file_ = false;
  bool pinned_at_start_ = false;
  std::unique_ptr<files::BatchFileChecker> checker_;
  std::string pending_original_;
  bool pending_overflow_ = false;
  std::string records_;
  std::int64_t bytes_ = 0;
  const config::Model* model_ = nullptr;
  std::string original_key_, bedrock_key_;
  std::unique_ptr<aws::MultipartUploader> original_, bedrock_;
};

awaitable<Response> Upload::run() {
  auto boundary = http::multipart_boundary(req_.header(boost::beast::http::field::content_type));
  if (!boundary)
    co_return Response::error(ApiError::invalid(
        "Upload files as multipart/form-data with a 'file' part and a 'purpose' field.", "file", "invalid_content_type"));
  http::MultipartParser parser(*boundary);
  std::string field_name, field_value;
  bool in_file = false;
  for (bool body_done = false; !body_done;) {
    auto chunk = co_await req_.body_reader->next();
    if (chunk.error) {
      co_await abort_uploads();
      co_return Response::error(*chunk.error);
    }
    if (chunk.data) parser.feed(*chunk.data); else parser.finish();
    for (bool more = true; more;) {
      auto ev = parser.next();
      std::optional<ApiError> err;
      switch (ev.type) {
        case http::MultipartParser::EventType::kNeedMore: more = false; break;
        case http::MultipartParser::EventType::kPartBegin:
          in_file = parser.part().name == "file";
          if (in_file) {
            if (saw_file_) err = ApiError::invalid("Send exactly one 'file' part.", "file");
            saw_file_ = true;
            filename_ = parser.part().filename;
            pinned_at_start_ = fields_.target_models.size() == 1;
            checker_ = make_checker(pinned_at_start_ ? std::optional(fields_.target_models[0]) : std::nullopt);
          } else {
            field_name = parser.part().name;
            field_value.clear();
          }
          break;
        case http::MultipartParser::EventType::kData:
          if (in_file) {
            err = co_await on_file_data(ev.data);
          } else if (field_value.size() + ev.data.size() > kMaxFieldBytes) {
            err = ApiError::invalid("Form field '" + field_name + "' is too large.", field_name);
          } else {
            field_value.append(ev.data);
          }
          break;
        case http::MultipartParser::EventType::kPartEnd:
          // Two statements: g++ 12 evaluates a co_await inside ?: even when its branch is not taken.
          if (in_file)
            err = co_await on_file_end();
          else
            err = take_field(field_name, field_value);
          in_file = false;
          break;
        case http::MultipartParser::EventType::kDone: more = false; body_done = true; break;
        case http::MultipartParser::EventType::kError:
          err = ApiError::invalid("Malformed multipart body: " + std::string(ev.error) + ".", "file");
          break;
      }
      if (err) {
        co_await abort_uploads();
        co_return Response::error(*err);
      }
    }
    if (!chunk.data) body_done = true;
  }
  co_return co_await store();
}

awaitable<std::optional<ApiError>> Upload::on_file_data(std::string_view data) {
  bytes_ += std::int64_t(data.size());
  splitter_.feed(data);
  while (auto line = splitter_.next_line()) checker_->add_line(line->text, line->too_long, records_);
  if (original_) {
    if (auto w = co_await original_->write(data); w.has_error()) co_return storage_error(w.error().to_string());
  } else if (!pending_overflow_) {
    pending_original_.append(data);
    if (pending_original_.size() > kPendingCap) {
      pending_overflow_ = true;
      pending_original_.clear();
    }
  }
  co_return co_await flush();
}

awaitable<std::optional<ApiError>> Upload::on_file_end() {
  if (auto line = splitter_.finish()) checker_->add_line(line->text, line->too_long, records_);
  checker_->finish();
  co_return co_await flush();
}

// Starts the uploads once a line has named the model (it decides the bucket), and hands over what waited.
awaitable<std::optional<ApiError>> Upload::flush() {
  if (!checker_->ok()) {
    // Refused whatever comes next: stop storing, keep checking so every bad line is reported.
    co_await abort_uploads();
    records_.clear();
    if (!checker_->only_unknown_models()) pending_original_.clear();
    co_return std::nullopt;
  }
  if (!original_ && checker_->model()) {
    if (pending_overflow_)
      co_return ApiError::invalid("The first 16 MiB of the file name no configured model.", "file");
    if (auto err = co_await start_uploads(*checker_->model())) co_return err;
  }
  if (bedrock_ && !records_.empty()) {
    auto w = co_await bedrock_->write(records_);
    if (w.has_error()) co_return storage_error(w.error().to_string());
    records_.clear();
  }
  co_return std::nullopt;
}

awaitable<std::optional<ApiError>> Upload::start_uploads(const config::Model& model) {
  model_ = &model;
  auto& s3 = app_.backends->s3(model);
  // Key names stay within what Bedrock accepts in S3 URIs (spec/bedrock-batch.md §2): ids are base62.
  original_key_ = join_key(model.s3_prefix, "files/" + file_id_ + "/original.jsonl");
  bedrock_key_ = join_key(model.s3_prefix, "files/" + file_id_ + "/input.jsonl");
  // S3's minimum part size keeps the two part buffers (and the part in flight) small: memory stays flat.
  original_ = std::make_unique<aws::MultipartUploader>(s3, model.s3_bucket, original_key_,
                                                       aws::MultipartUploader::kMinPartSize, "application/jsonl");
  bedrock_ = std::make_unique<aws::MultipartUploader>(s3, model.s3_bucket, bedrock_key_,
                                                      aws::MultipartUploader::kMinPartSize, "application/jsonl");
  if (!pending_original_.empty()) {
    auto w = co_await original_->write(pending_original_);
    if (w.has_error()) co_return storage_error(w.error().to_string());
    pending_original_.clear();
    pending_original_.shrink_to_fit();
  }
  co_return std::nullopt;
}

awaitable<void> Upload::abort_uploads() {
  for (auto* u : {&original_, &bedrock_}) {
    if (!*u) continue;
    if (auto r = co_await (*u)->abort(); r.has_error())
      spdlog::warn("request {}: aborting upload failed: {}", req_.request_id, r.error().to_string());
    u->reset();
  }
}

std::optional<ApiError> Upload::take_field(const std::string& name, const std::string& value) {
  if (name == "purpose") {
    fields_.purpose = value;
  } else if (name == "target_model_names" || name == "target_model_names[]") {
    for (auto& n : split_names(value)) fields_.target_models.push_back(std::move(n));
  } else if (name == "expires_after[seconds]") {
    try {
      fields_.expires_seconds = std::stoll(value);
    } catch (...) {
      return ApiError::invalid("expires_after[seconds] must be a whole number.", "expires_after.seconds");
    }
    if (*fields_.expires_seconds < 3600 || *fields_.expires_seconds > 2592000)
      return ApiError::invalid("expires_after[seconds] must be between 3600 and 2592000.", "expires_after.seconds");
  } else if (name == "expires_after[anchor]") {
    if (value != "created_at")
      return ApiError::invalid("expires_after[anchor] must be 'created_at'.", "expires_after.anchor");
    fields_.expires_anchor = value;
  }
  return std::nullopt;
}

// target_model_names sent after the file part (the Node SDK orders fields so): re-check the whole file,
// which is still in memory when no line named a usable model.
std::optional<ApiError> Upload::apply_late_target() {
  const std::string& target = fields_.target_models[0];
  if (checker_->ok() && checker_->model_name() == target) return std::nullopt;
  if (!app_.settings.find_model(target))
    return ApiError::invalid("target_model_names names '" + target + "', which is not a configured model.",
                             "target_model_names", "model_not_found");
  if (original_ || pending_overflow_ || !(checker_->ok() || checker_->only_unknown_models()))
    return ApiError::invalid(
        "Send target_model_names before the file part when the lines' body.model names another configured model.",
        "target_model_names");
  checker_ = make_checker(target);
  records_.clear();
  http::LineSplitter splitter(kMaxLine);
  splitter.feed(pending_original_);
  while (auto line = splitter.next_line()) checker_->add_line(line->text, line->too_long, records_);
  if (auto line = splitter.finish()) checker_->add_line(line->text, line->too_long, records_);
  checker_->finish();
  return std::nullopt;
}

awaitable<Response> Upload::store() {
  auto fail = [this](ApiError e) -> awaitable<Response> {
    co_await abort_uploads();
    co_return Response::error(e);
  };
  if (!saw_file_) co_return co_await fail(ApiError::invalid("The 'file' part is missing.", "file"));
  if (fields_.purpose.empty())
    co_return co_await fail(ApiError::invalid("The 'purpose' field is missing; use purpose=batch.", "purpose"));
  if (fields_.purpose != "batch")
    co_return co_await fail(ApiError::invalid(
        "purpose '" + fields_.purpose + "' is not served here: this gateway stores batch input files (purpose=batch).",
        "purpose", "unsupported_purpose"));
  if (fields_.target_models.size() > 1)
    co_return co_await fail(ApiError::invalid("Name one model in target_model_names; a file is translated for one model.",
                                              "target_model_names"));
  if (fields_.target_models.size() == 1 && !pinned_at_start_) {
    if (auto err = apply_late_target()) co_return co_await fail(*err);
  }
  if (!checker_->ok()) co_return co_await fail(refused(*checker_));
  if (auto err = co_await flush()) co_return co_await fail(*err);
  if (!original_) co_return co_await fail(ApiError::internal("No upload was started for a valid file."));

  // finish() aborts its own upload when it fails; the other one is aborted or deleted here.
  auto original_etag = co_await original_->finish();
  original_.reset();
  if (original_etag.has_error()) co_return co_await fail(storage_error(original_etag.error().to_string()));
  auto bedrock_etag = co_await bedrock_->finish();
  const auto bedrock_bytes = std::int64_t(bedrock_->bytes_written());
  bedrock_.reset();
  auto& s3 = app_.backends->s3(*model_);
  if (bedrock_etag.has_error()) {
    (void)co_await s3.delete_object(model_->s3_bucket, original_key_);
    co_return co_await fail(storage_error(bedrock_etag.error().to_string()));
  }

  storage::FileRecord f;
  f.id = file_id_;
  f.owner_key_id = who_.owner_id();
  f.purpose = "batch";
  f.filename = filename_.empty() ? "upload.jsonl" : filename_;
  f.bytes = bytes_;
  f.created_at = app_.clock.now_seconds();
  if (fields_.expires_seconds) f.expires_at = f.created_at + *fields_.expires_seconds;
  f.model = model_->model_name;
  f.endpoint = std::string(translators::endpoint_url(*checker_->endpoint()));
  f.line_count = checker_->request_count();
  f.record_count = checker_->record_count();
  f.content_s3_uri = s3_uri(model_->s3_bucket, original_key_);
  f.bedrock_s3_uri = s3_uri(model_->s3_bucket, bedrock_key_);
  f.bedrock_bytes = bedrock_bytes;
  auto inserted = co_await http::run_blocking(app_.blocking, [&] { return app_.store.insert_file(f, checker_->mappings()); });
  if (inserted.has_error()) {
    spdlog::error("request {}: storing file row failed: {}", req_.request_id, inserted.error().message);
    (void)co_await s3.delete_object(model_->s3_bucket, original_key_);
    (void)co_await s3.delete_object(model_->s3_bucket, bedrock_key_);
    co_return Response::error(storage_error("database"));
  }
  co_return Response::json(file_json(f).dump());
}

}  // namespace

nlohmann::json file_json(const storage::FileRecord& f) {
  nlohmann::json j = {{"id", f.id},           {"object", "file"},     {"bytes", f.bytes},
                      {"created_at", f.created_at}, {"filename", f.filename}, {"purpose", f.purpose},
                      {"status", f.status},   {"status_details", nullptr}};
  j["expires_at"] = f.expires_at ? nlohmann::json(*f.expires_at) : nlohmann::json(nullptr);
  return j;
}

awaitable<Response> upload_file(AppContext& app, http::Request& req, const Principal& who) {
  if (auto err = check_budget(who)) co_return Response::error(*err);
  Upload upload(app, req, who);
  co_return co_await upload.run();
}

}  // namespace batchgate::api
