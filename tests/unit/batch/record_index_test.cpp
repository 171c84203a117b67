// RecordIndex: the collector's recordId → mapping lookup.
#include "server/batch/record_index.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/batch/collector_test_support.hpp"

namespace batchgate::batch {
namespace {

TEST(RecordIndex, FindsEveryKeyAndNothingElse) {
  std::vector<std::string> keys;
  for (int n = 1; n <= 20000; ++n) keys.push_back(test::record_id(n));
  // Longer than the 16 bytes kept in a slot, differing only past them.
  keys.push_back("a-long-record-id-that-ends-in-1");
  keys.push_back("a-long-record-id-that-ends-in-2");
  keys.push_back("");
  RecordIndex index(keys.size());
  for (std::uint32_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(index.insert(keys[i], i)) << keys[i];
  for (std::uint32_t i = 0; i < keys.size(); ++i) EXPECT_EQ(index.find(keys[i]), i) << keys[i];
  EXPECT_EQ(index.find("R999999999"), std::nullopt) << "a prefix of a key";
  EXPECT_EQ(index.find("R0000000001 "), std::nullopt);
  EXPECT_EQ(index.find(test::record_id(20001)), std::nullopt);
  EXPECT_EQ(index.find("a-long-record-id-that-ends-in-3"), std::nullopt);
  EXPECT_EQ(index.find(std::string("R000000000\0", 11)), std::nullopt) << "zero padding is not a key byte";
}

TEST(RecordIndex, KeepsTheFirstOfARepeatedKey) {
  const std::string long_key(40, 'x');
  RecordIndex index(4);
  EXPECT_TRUE(index.insert("R0000000001", 7));
  EXPECT_FALSE(index.insert("R0000000001", 8));
  EXPECT_TRUE(index.insert(long_key, 9));
  EXPECT_FALSE(index.insert(long_key, 10));
  EXPECT_EQ(index.find("R0000000001"), 7u);
  EXPECT_EQ(index.find(long_key), 9u);
}

}  // namespace
}  // namespace batchgate::batch
