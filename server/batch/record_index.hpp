#pragma once
// recordId → position of its mapping, for the collector's per-line lookup. An open-addressing table of
// (key view, hash tag, position) slots: one lookup touches one slot and the key's bytes, where
// std::unordered_map chases a bucket, a node and the key (three cache misses per line with 100,000
// records in scrambled order). Asio-free.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace batchgate::batch {

class RecordIndex {
 public:
  // Room for `count` keys; call before the first insert.
  explicit RecordIndex(std::size_t count);

  // Adds `key` (a view that must outlive the index) → `position`; false, leaving the first one, when the
  // key is already there.
  bool insert(std::string_view key, std::uint32_t position);
  std::optional<std::uint32_t> find(std::string_view key) const;

 private:
  struct Slot {
    std::string_view key;
    std::uint32_t tag = 0;       // upper hash bits, compared before the key
    std::uint32_t position = 0;  // valid when key.data() != nullptr
  };

  std::size_t slot_of(std::size_t hash) const { return hash & (slots_.size() - 1); }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::size_t size_ = 0;
};

}  // namespace batchgate::batch
