#include "server/batch/record_index.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <functional>

namespace batchgate::batch {
namespace {

std::uint32_t tag_of(std::size_t hash) {
  return static_cast<std::uint32_t>(hash >> 32);
}

}  // namespace

RecordIndex::RecordIndex(std::size_t count) : slots_(std::bit_ceil(std::max<std::size_t>(2 * count, 8))) {}

bool RecordIndex::insert(std::string_view key, std::uint32_t position) {
  assert(key.data() != nullptr);
  assert(2 * (size_ + 1) <= slots_.size());
  const std::size_t hash = std::hash<std::string_view>{}(key);
  for (std::size_t i = slot_of(hash);; i = slot_of(i + 1)) {
    Slot& slot = slots_[i];
    if (slot.key.data() == nullptr) {
      slot = Slot{key, tag_of(hash), position};
      ++size_;
      return true;
    }
    if (slot.tag == tag_of(hash) && slot.key == key) return false;
  }
}

std::optional<std::uint32_t> RecordIndex::find(std::string_view key) const {
  const std::size_t hash = std::hash<std::string_view>{}(key);
  for (std::size_t i = slot_of(hash);; i = slot_of(i + 1)) {
    const Slot& slot = slots_[i];
    if (slot.key.data() == nullptr) return std::nullopt;
    if (slot.tag == tag_of(hash) && slot.key == key) return slot.position;
  }
}

}  // namespace batchgate::batch
