#pragma once
// Recently read rows, kept a short time so hot reads (auth on every request, polling a batch) skip the store
// and the thread hop to reach it. Writers drop or replace an entry the moment they change the row; the TTL
// bounds staleness for anything else. Thread-safe, bounded. Asio-free.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace batchgate {

template <class T>
class RecentCache {
 public:
  RecentCache() = default;
  explicit RecentCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  std::optional<T> find(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() >= it->second.expires) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  void put(const std::string& id, const T& value) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // a flood of distinct ids resets it
    entries_[id] = Entry{value, std::chrono::steady_clock::now() + ttl_};
  }

  void drop(const std::string& id) {
    std::lock_guard lock(mutex_);
    entries_.erase(id);
  }

 private:
  static constexpr std::size_t kMaxEntries = 100000;
  struct Entry {
    T value;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::milliseconds ttl_{2000};
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace batchgate
