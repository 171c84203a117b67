#include "server/common/line_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace batchgate {
namespace {

TEST(LineSplitter, SplitsAcrossFeedsAndDropsCarriageReturns) {
  LineSplitter s(100);
  std::vector<std::string> lines;
  for (std::string_view piece : {"ab", "c\r\nd", "", "ef\n\nlast"}) {
    s.feed(piece);
    while (auto l = s.next_line()) lines.emplace_back(l->text);
  }
  if (auto l = s.finish()) lines.emplace_back(l->text);
  EXPECT_EQ(lines, (std::vector<std::string>{"abc", "def", "", "last"}));
}

TEST(LineSplitter, OverlongLinesAreReportedOnceAndSkipped) {
  LineSplitter s(5);
  std::vector<std::pair<std::string, bool>> lines;
  for (std::string_view piece : {"123", "4567", "89\nok\n", "toolongagain\n"}) {
    s.feed(piece);
    while (auto l = s.next_line()) lines.emplace_back(std::string(l->text), l->too_long);
  }
  EXPECT_EQ(lines, (std::vector<std::pair<std::string, bool>>{{"", true}, {"ok", false}, {"", true}}));
}

}  // namespace
}  // namespace batchgate
