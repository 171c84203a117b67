#include "server/batch/record_index.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <functional>

namespace batchgate::batch {
namespace {

std::size_t hash_of(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

// The top 16 bits of the hash, never 0 (0 marks an empty slot).
std::uint16_t tag_of(std::size_t hash) {
  auto tag = static_cast<std::uint16_t>(hash >> (8 * sizeof(std::size_t) - 16));
  return tag == 0 ? 1 : tag;
}

}  // namespace

RecordIndex::RecordIndex(std::size_t count)
    : slots_(std::bit_ceil(std::max<std::size_t>(count + count / 2 + 1, 8))) {}

bool RecordIndex::matches(const Slot& slot, std::uint16_t tag, std::string_view key) const {
  if (slot.tag != tag || slot.size != key.size()) return false;
  if (slot.long_key != 0) return long_keys_[slot.long_key - 1] == key;
  return std::memcmp(slot.head, key.data(), key.size()) == 0;
}

bool RecordIndex::insert(std::string_view key, std::uint32_t position) {
  assert(3 * (size_ + 1) <= 2 * slots_.size());
  const std::size_t hash = hash_of(key);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.tag == 0) {
      slot.tag = tag_of(hash);
      slot.size = static_cast<std::uint32_t>(key.size());
      slot.position = position;
      std::memcpy(slot.head, key.data(), std::min(key.size(), kInline));
      if (key.size() > kInline) {
        long_keys_.push_back(key);
        slot.long_key = static_cast<std::uint32_t>(long_keys_.size());
      }
      ++size_;
      return true;
    }
    if (matches(slot, tag_of(hash), key)) return false;
  }
}

std::optional<std::uint32_t> RecordIndex::find(std::string_view key) const {
  const std::size_t hash = hash_of(key);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.tag == 0) return std::nullopt;
    if (matches(slot, tag_of(hash), key)) return slot.position;
  }
}

}  // namespace batchgate::batch
