#include "server/common/json_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace batchgate {
namespace {

using nlohmann::json;

const auto kNoon = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764676800123));

TEST(JsonLog, ALineHoldsTimeLevelMessageAndTheIdsItNames) {
  const auto line = json::parse(json_log_line(
      kNoon, "info",
      "lifecycle: batch batch_ABCDEFGHIJKLMNOPQRSTUVWX submitted for file-0123456789abcdefghijKLMN"));
  EXPECT_EQ(line["time"], "2025-12-02T12:00:00.123Z");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["component"], "lifecycle");
  EXPECT_EQ(line["batch_id"], "batch_ABCDEFGHIJKLMNOPQRSTUVWX");
  EXPECT_EQ(line["file_id"], "file-0123456789abcdefghijKLMN");
  EXPECT_FALSE(line.contains("request_id"));
  const auto request =
      json::parse(json_log_line(kNoon, "error", "request req_ABCDEFGHIJKLMNOPQRSTUVWX: boom"));
  EXPECT_EQ(request["request_id"], "req_ABCDEFGHIJKLMNOPQRSTUVWX");
  EXPECT_FALSE(request.contains("component"));  // "request req_…" is not a component name
}

TEST(JsonLog, OnlyWholeIdsCountAndBadBytesAreReplaced) {
  auto line = json::parse(json_log_line(kNoon, "warn", "mybatch_ABCDEFGHIJKLMNOPQRSTUVWX batch_short \xff"));
  EXPECT_FALSE(line.contains("batch_id"));
  EXPECT_NE(line["message"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  line = json::parse(json_log_line(kNoon, "warn", "Something: with capitals is not a component"));
  EXPECT_FALSE(line.contains("component"));
}

TEST(JsonLog, TheFormatterWritesOneObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("json-test", sink);
  logger.set_formatter(std::make_unique<JsonLogFormatter>());
  logger.info("uploads: aborted {} multipart upload(s)", 2);
  logger.warn("second \"quoted\"\nline");
  std::istringstream lines(out.str());
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  EXPECT_EQ(json::parse(first)["message"], "uploads: aborted 2 multipart upload(s)");
  EXPECT_EQ(json::parse(first)["component"], "uploads");
  EXPECT_EQ(json::parse(second)["message"], "second \"quoted\"\nline");
  EXPECT_EQ(json::parse(second)["level"], "warning");
}

}  // namespace
}  // namespace batchgate
