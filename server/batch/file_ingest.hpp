#pragma once
// Taking in one uploaded batch input file (purpose=batch): the form's parts arrive as the multipart parser
// reports them; the file streams through the line checker/translator into two object writers (the
// original JSONL, and the Bedrock records), so memory stays flat whatever the file size. Until a line names
// a usable model (it decides the bucket), the bytes wait in a Spool; when only target_model_names, sent
// after the file part, can name it, the file is translated again from the spool once the field arrives.
// finish() stores the objects and then the row. A refused file leaves nothing behind: both writers are
// aborted, the spool is cleared, no row is written.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/batch/files.hpp"
#include "server/batch/object_layout.hpp"
#include "server/batch/object_store.hpp"
#include "server/batch/spool.hpp"
#include "server/common/line_splitter.hpp"
#include "server/files/batch_file_checker.hpp"

namespace batchgate::batch {

class FileIngest {
 public:
  FileIngest(const CoreDeps& deps, const Principal& who);
  ~FileIngest();

  // The form's parts in the order they arrive. An error refuses the upload (call abort()).
  boost::asio::awaitable<std::optional<ApiError>> begin_file(std::string filename);
  boost::asio::awaitable<std::optional<ApiError>> file_data(std::string_view data);
  boost::asio::awaitable<std::optional<ApiError>> end_file();
  std::optional<ApiError> field(const std::string& name, const std::string& value);

  // After the last part: checks what the form said, completes the objects, writes the row.
  boost::asio::awaitable<std::variant<storage::FileRecord, ApiError>> finish();
  // The upload ended early (client gone, malformed body): aborts what was started.
  boost::asio::awaitable<void> abort();

 private:
  struct Fields {
    std::string purpose;
    std::vector<std::string> target_models;
    std::optional<std::int64_t> expires_seconds;
    std::string expires_anchor;
  };

  boost::asio::awaitable<std::optional<ApiError>> flush();
  boost::asio::awaitable<void> abort_writers();
  boost::asio::awaitable<std::optional<ApiError>> start_writers(const config::Model& model);
  bool waiting_may_help() const;
  std::optional<ApiError> check_form();
  std::optional<ApiError> check_late_target() const;
  boost::asio::awaitable<std::optional<ApiError>> apply_late_target();
  boost::asio::awaitable<std::optional<ApiError>> complete_objects();
  storage::FileRecord file_row(std::int64_t bedrock_bytes) const;
  std::unique_ptr<files::BatchFileChecker> make_checker(std::optional<std::string> pinned) const;

  const CoreDeps& d_;
  const Principal& who_;
  LineSplitter splitter_;
  std::string file_id_;
  Fields fields_;
  std::string filename_;
  bool saw_file_ = false;
  bool pinned_ = false;  // the checker translates for target_model_names, whatever the lines' body.model
  std::unique_ptr<files::BatchFileChecker> checker_;
  std::unique_ptr<Spool> spool_;  // the original bytes while no writer exists
  std::string records_;
  std::int64_t bytes_ = 0;
  const config::Model* model_ = nullptr;
  InputFileObjects objects_;
  std::unique_ptr<ObjectWriter> original_, records_writer_;
};

}  // namespace batchgate::batch
