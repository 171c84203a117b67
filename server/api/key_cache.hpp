#pragma once
// Recently used virtual keys, so authenticating a request usually needs no trip to the store. Entries live
// ~2 s; the admin routes drop an entry the moment they change or delete its key, so blocking, deleting or
// re-scoping a key takes effect at once. Spend (for max_budget) may lag by those 2 s. Thread-safe. Asio-free.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/records.hpp"

namespace batchgate::api {

class KeyCache {
 public:
  KeyCache() = default;
  explicit KeyCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  std::optional<storage::KeyRecord> find(const std::string& token_hash) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(token_hash);
    if (it == entries_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() >= it->second.expires) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.key;
  }

  void put(const storage::KeyRecord& key) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // bounded: a flood of distinct keys resets it
    entries_[key.token_hash] = Entry{key, std::chrono::steady_clock::now() + ttl_};
  }

  void drop(const std::string& token_hash) {
    std::lock_guard lock(mutex_);
    entries_.erase(token_hash);
  }

 private:
  static constexpr std::size_t kMaxEntries = 100000;
  struct Entry {
    storage::KeyRecord key;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::milliseconds ttl_{2000};
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace batchgate::api
