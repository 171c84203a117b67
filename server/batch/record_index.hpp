#pragma once
// recordId → position of its mapping, for the collector's per-line lookup. An open-addressing table whose
// 32-byte slots hold short keys (ours are 11 bytes, "R0000000001") in place: a lookup reads one slot,
// where std::unordered_map chases a bucket, a node and the key's bytes (three cache misses per line with
// 100,000 records arriving in scrambled order). Asio-free.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace batchgate::batch {

class RecordIndex {
 public:
  // Room for `count` keys.
  explicit RecordIndex(std::size_t count);

  // Adds `key` → `position`; false, leaving the first one, when the key is already there. A key longer
  // than 16 bytes is kept as a view: its bytes must outlive the index. At most `count` keys.
  bool insert(std::string_view key, std::uint32_t position);
  std::optional<std::uint32_t> find(std::string_view key) const;

 private:
  static constexpr std::size_t kInline = 16;
  struct Slot {
    char head[kInline] = {};  // the key's first bytes, zero-padded
    std::uint32_t size = 0;   // the key's size
    std::uint32_t position = 0;
    std::uint32_t long_key = 0;  // a key longer than kInline: 1 + its index in long_keys_
    std::uint16_t tag = 0;       // hash bits the slot number does not use; 0 marks an empty slot
  };
  static_assert(sizeof(Slot) == 32);

  bool matches(const Slot& slot, std::uint16_t tag, std::string_view key) const;

  std::vector<Slot> slots_;  // a power of two, at most two thirds full
  std::vector<std::string_view> long_keys_;
  std::size_t size_ = 0;
};

}  // namespace batchgate::batch
