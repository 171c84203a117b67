// The upload pipeline (FileIngest) on test doubles: what a valid file leaves (two objects and a row), and
// that a refused or failed upload leaves nothing — no object, no unfinished writer, no row.
#include "server/batch/file_ingest.hpp"

#include <gtest/gtest.h>

#include "tests/support/fakes/core_rig.hpp"
#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::batch {
namespace {

using batchgate::test::CoreRig;
using batchgate::test::MemoryObjectStore;
using nlohmann::json;

std::string chat_line(int n, const std::string& model = "claude-batch") {
  return json{
             {"custom_id", "req-" + std::to_string(n)},
             {"method", "POST"},
             {"url", "/v1/chat/completions"},
             {"body", {{"model", model}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}}}}
             .dump() +
         "\n";
}

std::string chat_file(int lines, const std::string& model = "claude-batch") {
  std::string text;
  for (int n = 1; n <= lines; ++n) text += chat_line(n, model);
  return text;
}

class FileIngestTest : public ::testing::Test {
 protected:
  FileIngestTest() : rig_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  using Outcome = std::variant<storage::FileRecord, ApiError>;

  // Sends the form as the route would: fields before the file, the file in `chunk`-byte pieces, fields after.
  Outcome upload(const std::string& body, std::vector<std::pair<std::string, std::string>> before,
                 std::vector<std::pair<std::string, std::string>> after = {}, std::size_t chunk = 7) {
    auto ingest = rig_.files().ingest(who_);
    auto refuse = [&](ApiError e) -> Outcome {
      rig_.run(ingest->abort());
      return e;
    };
    for (const auto& [name, value] : before)
      if (auto e = ingest->field(name, value)) return refuse(*e);
    if (auto e = rig_.run(ingest->begin_file("batch.jsonl"))) return refuse(*e);
    for (std::size_t at = 0; at < body.size(); at += chunk)
      if (auto e = rig_.run(ingest->file_data(std::string_view(body).substr(at, chunk)))) return refuse(*e);
    if (auto e = rig_.run(ingest->end_file())) return refuse(*e);
    for (const auto& [name, value] : after)
      if (auto e = ingest->field(name, value)) return refuse(*e);
    return rig_.run(ingest->finish());
  }

  void expect_nothing_left() {
    EXPECT_EQ(rig_.objects.object_count(), 0u);
    EXPECT_EQ(rig_.objects.open_writers(), 0);
    storage::FileQuery every;
    every.all_owners = true;
    EXPECT_TRUE(rig_.sqlite().list_files(every)->empty());
  }

  CoreRig rig_;
  Principal who_{true, {}};
};

TEST_F(FileIngestTest, AValidFileLeavesTheOriginalItsRecordsAndARow) {
  const std::string body = chat_file(5);
  auto stored = upload(body, {{"purpose", "batch"}});
  ASSERT_TRUE(std::holds_alternative<storage::FileRecord>(stored)) << std::get<ApiError>(stored).message;
  const auto& f = std::get<storage::FileRecord>(stored);
  EXPECT_EQ(f.purpose, "batch");
  EXPECT_EQ(f.model, "claude-batch");
  EXPECT_EQ(f.endpoint, "/v1/chat/completions");
  EXPECT_EQ(f.line_count, 5);
  EXPECT_EQ(f.record_count, 5);
  EXPECT_EQ(f.bytes, std::int64_t(body.size()));
  EXPECT_EQ(f.content_s3_uri, "s3://rig-bucket/pre/files/" + f.id + "/original.jsonl");
  EXPECT_EQ(rig_.objects.get(*aws::parse_s3_uri(f.content_s3_uri)), body);
  auto records = test::parse_jsonl(*rig_.objects.get(*aws::parse_s3_uri(f.bedrock_s3_uri)));
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0]["modelInput"]["anthropic_version"], "bedrock-2023-05-31");
  EXPECT_EQ(rig_.objects.open_writers(), 0);
  auto row = rig_.sqlite().find_file(f.id);
  ASSERT_TRUE(row.has_value() && *row);
  EXPECT_EQ(rig_.sqlite().file_mappings(f.id)->size(), 5u);
}

TEST_F(FileIngestTest, BadLinesAreRefusedWithTheirNumbersAndNothingIsStored) {
  std::string body = chat_line(1) + "not json\n" + chat_line(3) + chat_line(1);
  auto refused = upload(body, {{"purpose", "batch"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(refused));
  const ApiError& e = std::get<ApiError>(refused);
  EXPECT_EQ(http_status(e.kind), 400);
  EXPECT_NE(e.message.find("Line 2"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("Line 4"), std::string::npos) << e.message;
  auto lines = json::parse(e.extra_json)["errors"]["data"];
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["line"], 2);
  expect_nothing_left();
}

TEST_F(FileIngestTest, AFailedObjectWriteAnswers503AndLeavesNothing) {
  rig_.objects.fail_next(MemoryObjectStore::Op::kWrite);
  auto failed = upload(chat_file(3), {{"purpose", "batch"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(failed));
  EXPECT_EQ(http_status(std::get<ApiError>(failed).kind), 503);
  EXPECT_EQ(std::get<ApiError>(failed).code, "storage_unavailable");
  expect_nothing_left();
}

TEST_F(FileIngestTest, AFailedRecordsObjectRemovesTheOriginalAgain) {
  // The original completes first; the records object then fails to complete.
  rig_.objects.fail_next(MemoryObjectStore::Op::kFinish);
  auto failed = upload(chat_file(2), {{"purpose", "batch"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(failed));
  EXPECT_EQ(http_status(std::get<ApiError>(failed).kind), 503);
  expect_nothing_left();
}

TEST_F(FileIngestTest, AFailedRowRemovesBothObjects) {
  rig_.store().fail_next("insert_file");
  auto failed = upload(chat_file(2), {{"purpose", "batch"}});
  ASSERT_TRUE(std::holds_alternative<ApiError>(failed));
  EXPECT_EQ(http_status(std::get<ApiError>(failed).kind), 503);
  expect_nothing_left();
}

TEST_F(FileIngestTest, TargetModelAfterTheFilePartTranslatesForThatModel) {
  auto stored =
      upload(chat_file(3, "gpt-4o"), {{"purpose", "batch"}}, {{"target_model_names", "claude-batch"}});
  ASSERT_TRUE(std::holds_alternative<storage::FileRecord>(stored)) << std::get<ApiError>(stored).message;
  const auto& f = std::get<storage::FileRecord>(stored);
  EXPECT_EQ(f.model, "claude-batch");
  EXPECT_EQ(test::parse_jsonl(*rig_.objects.get(*aws::parse_s3_uri(f.bedrock_s3_uri))).size(), 3u);
  EXPECT_EQ(rig_.objects.open_writers(), 0);
}

TEST_F(FileIngestTest, FormMistakesAreRefusedAndLeaveNothing) {
  struct Row {
    std::vector<std::pair<std::string, std::string>> fields;
    const char* param;
  };
  const Row rows[] = {
      {{}, "purpose"},
      {{{"purpose", "fine-tune"}}, "purpose"},
      {{{"purpose", "batch"}, {"target_model_names", "a,b"}}, "target_model_names"},
      {{{"purpose", "batch"}, {"expires_after[seconds]", "60"}}, "expires_after.seconds"},
      {{{"purpose", "batch"}, {"expires_after[anchor]", "last_used"}}, "expires_after.anchor"},
  };
  for (const Row& row : rows) {
    auto refused = upload(chat_file(2), row.fields);
    ASSERT_TRUE(std::holds_alternative<ApiError>(refused)) << row.param;
    EXPECT_EQ(std::get<ApiError>(refused).param, row.param);
    EXPECT_EQ(http_status(std::get<ApiError>(refused).kind), 400);
    expect_nothing_left();
  }
}

TEST_F(FileIngestTest, AnUploadCutShortLeavesNoUnfinishedWriter) {
  auto ingest = rig_.files().ingest(who_);
  ASSERT_FALSE(ingest->field("purpose", "batch"));
  ASSERT_FALSE(rig_.run(ingest->begin_file("big.jsonl")));
  ASSERT_FALSE(rig_.run(ingest->file_data(chat_file(50))));
  EXPECT_EQ(rig_.objects.open_writers(), 2) << "the model is known: both writers are open";
  rig_.run(ingest->abort());  // the client went away
  expect_nothing_left();
}

}  // namespace
}  // namespace batchgate::batch
