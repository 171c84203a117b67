#include "server/http/path_pattern.hpp"

#include <gtest/gtest.h>

namespace batchgate::http {
namespace {

TEST(PathPattern, MatchesLiteralsAndDecodesParams) {
  PathPattern p("/v1/files/{file_id}/content");
  auto m = p.match("/v1/files/file-abc%2Dx/content");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("file_id"), "file-abc-x");
  EXPECT_FALSE(p.match("/v1/files/file-abc"));
  EXPECT_FALSE(p.match("/v1/files//content"));
  EXPECT_FALSE(p.match("/v1/batches/x/content"));
  EXPECT_TRUE(PathPattern("/health").match("/health/"));
}

TEST(PathPattern, QueryParsing) {
  auto q = parse_query("limit=10&after=file-x&purpose=batch&key=sk-a%2Bb&flag&x=a+b");
  EXPECT_EQ(q["limit"], "10");
  EXPECT_EQ(q["after"], "file-x");
  EXPECT_EQ(q["key"], "sk-a+b");
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["x"], "a b");
  EXPECT_FALSE(percent_decode("%zz", false));
  EXPECT_FALSE(percent_decode("%4", false));
}

}  // namespace
}  // namespace batchgate::http
