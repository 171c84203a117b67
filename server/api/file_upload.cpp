#include "server/api/file_upload.hpp"

#include <utility>

#include "server/batch/file_ingest.hpp"
#include "server/common/utf8.hpp"
#include "server/http/multipart.hpp"

namespace batchgate::api {
namespace {

using boost::asio::awaitable;
using http::MultipartParser;
using http::Response;

constexpr std::size_t kMaxFieldBytes = 64 << 10;  // non-file form fields

// Feeds the parts of one multipart body to the ingest, as they arrive.
class FormReader {
 public:
  FormReader(http::Request& req, batch::FileIngest& ingest, std::string boundary)
      : req_(req), ingest_(ingest), parser_(std::move(boundary)) {}

  // nullopt once the whole body went to the ingest; otherwise why the upload is refused.
  awaitable<std::optional<ApiError>> run() {
    for (bool body_done = false; !body_done;) {
      auto chunk = co_await req_.body_reader->next();
      if (chunk.error) co_return *chunk.error;
      if (chunk.data)
        parser_.feed(*chunk.data);
      else
        parser_.finish();
      for (bool more = true; more;) {
        auto ev = parser_.next();
        if (ev.type == MultipartParser::EventType::kNeedMore) break;
        if (ev.type == MultipartParser::EventType::kDone) {
          more = false;
          body_done = true;
          continue;
        }
        if (auto err = co_await on_event(ev)) co_return err;
      }
      if (!chunk.data) body_done = true;
    }
    co_return std::nullopt;
  }

 private:
  awaitable<std::optional<ApiError>> on_event(const MultipartParser::Event& ev) {
    switch (ev.type) {
      case MultipartParser::EventType::kPartBegin:
        // Names and the file name are stored or echoed: UTF-8 only (server/common/utf8.hpp).
        if (!valid_utf8(parser_.part().name))
          co_return ApiError::invalid("A form field's name is not valid UTF-8.", {}, "invalid_utf8");
        in_file_ = parser_.part().name == "file";
        if (in_file_) {
          if (!valid_utf8(parser_.part().filename))
            co_return ApiError::invalid("The file name is not valid UTF-8.", "file", "invalid_utf8");
          std::string filename = parser_.part().filename;
          co_return co_await ingest_.begin_file(std::move(filename));
        }
        field_name_ = parser_.part().name;
        field_value_.clear();
        co_return std::nullopt;
      case MultipartParser::EventType::kData:
        if (in_file_) co_return co_await ingest_.file_data(ev.data);
        if (field_value_.size() + ev.data.size() > kMaxFieldBytes)
          co_return ApiError::invalid("Form field '" + field_name_ + "' is too large.", field_name_);
        field_value_.append(ev.data);
        co_return std::nullopt;
      case MultipartParser::EventType::kPartEnd:
        if (std::exchange(in_file_, false)) co_return co_await ingest_.end_file();
        if (!valid_utf8(field_value_))
          co_return ApiError::invalid("Form field '" + field_name_ + "' is not valid UTF-8.", field_name_,
                                      "invalid_utf8");
        co_return form_field(field_name_, field_value_);
      case MultipartParser::EventType::kError:
        co_return ApiError::invalid("Malformed multipart body: " + std::string(ev.error) + ".", "file");
      default:
        co_return std::nullopt;
    }
  }

  // LiteLLM's own fields next to the ingest's: custom_llm_provider (bedrock only) and extra_body, the JSON
  // object its curl walkthrough sends (-F extra_body='{"target_model_names": "…"}').
  std::optional<ApiError> form_field(const std::string& name, const std::string& value) {
    if (name == "custom_llm_provider") return check_provider(value, name);
    if (name != "extra_body") return ingest_.field(name, value);
    const auto body = nlohmann::json::parse(value, nullptr, false);
    if (!body.is_object())
      return ApiError::invalid(
          R"(extra_body must be a JSON object, e.g. {"target_model_names": "claude-batch"}.)", "extra_body");
    for (const auto& [key, v] : body.items()) {
      const std::string param = "extra_body." + key;
      if (key == "custom_llm_provider" && v.is_string()) {
        if (auto err = check_provider(v.get<std::string>(), param)) return err;
        continue;
      }
      const bool names = key == "target_model_names" && (v.is_string() || v.is_array());
      if (!names)
        return ApiError::invalid(
            param +
                " is not supported here: extra_body may hold target_model_names (a string "
                "or a list of strings) and custom_llm_provider.",
            param, "unknown_parameter");
      for (const auto& n : v.is_array() ? v : nlohmann::json::array({v})) {
        if (!n.is_string()) return ApiError::invalid(param + " must hold model names (strings).", param);
        if (auto err = ingest_.field("target_model_names", n.get<std::string>())) return err;
      }
    }
    return std::nullopt;
  }

  http::Request& req_;
  batch::FileIngest& ingest_;
  MultipartParser parser_;
  bool in_file_ = false;
  std::string field_name_, field_value_;
};

}  // namespace

nlohmann::json file_json(const storage::FileRecord& f) {
  nlohmann::json j = {{"id", f.id},
                      {"object", "file"},
                      {"bytes", f.bytes},
                      {"created_at", f.created_at},
                      {"filename", f.filename},
                      {"purpose", f.purpose},
                      {"status", f.status},
                      {"status_details", nullptr}};
  j["expires_at"] = f.expires_at ? nlohmann::json(*f.expires_at) : nlohmann::json(nullptr);
  return j;
}

awaitable<Response> upload_file(RouteContext& app, http::Request& req, const Principal& who) {
  if (auto err = batch::check_budget(who)) co_return Response::error(*err);
  auto admitted = co_await app.uploads.admit(who.is_master ? 0 : who.key.id);
  if (auto* err = std::get_if<ApiError>(&admitted)) {
    Response refused = Response::error(*err);
    if (err->kind == ErrorKind::kUnavailable) refused.headers["Retry-After"] = "5";
    co_return refused;
  }
  auto boundary = http::multipart_boundary(req.header(boost::beast::http::field::content_type));
  if (!boundary)
    co_return Response::error(
        ApiError::invalid("Upload files as multipart/form-data with a 'file' part and a 'purpose' field.",
                          "file", "invalid_content_type"));
  auto ingest = app.files.ingest(who);
  FormReader form(req, *ingest, *boundary);
  if (auto err = co_await form.run()) {
    co_await ingest->abort();
    co_return Response::error(*err);
  }
  auto stored = co_await ingest->finish();
  if (auto* e = std::get_if<ApiError>(&stored)) co_return Response::error(*e);
  co_return Response::json(file_json(std::get<storage::FileRecord>(stored)).dump());
}

}  // namespace batchgate::api
