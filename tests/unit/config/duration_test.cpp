#include "config/duration.hpp"

#include <gtest/gtest.h>

namespace batchgate::config {
namespace {

TEST(Duration, ParsesLiteLLMForms) {
  struct Row {
    const char* text;
    std::optional<long long> seconds;
  };
  const Row rows[] = {{"30", 30},       {"30s", 30},          {"5m", 300},         {"1h", 3600},
                      {"30d", 2592000}, {"2w", 1209600},      {"", std::nullopt},  {"h", std::nullopt},
                      {"-5s", std::nullopt}, {"5x", std::nullopt}, {"1.5h", std::nullopt}};
  for (const auto& row : rows) {
    auto got = parse_duration(row.text);
    if (!row.seconds) {
      EXPECT_FALSE(got.has_value()) << row.text;
      continue;
    }
    ASSERT_TRUE(got.has_value()) << row.text;
    EXPECT_EQ(got->count(), *row.seconds) << row.text;
  }
}

}  // namespace
}  // namespace batchgate::config
