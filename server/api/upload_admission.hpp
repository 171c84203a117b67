#pragma once
// Caps on uploads in flight: a global memory budget (max_upload_memory; each upload is charged what its two
// object writers may hold — two 5 MiB part buffers each — plus the spool's memory) and a number per key
// (max_uploads_per_key). An upload over the budget waits up to kAdmissionWait for room, then gets 503 with
// Retry-After (code uploads_busy); a key over its count gets 429 at once. Thread-safe.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>

#include "server/common/api_error.hpp"

namespace batchgate::api {

class UploadAdmission {
 public:
  static constexpr std::uint64_t kChargePerUpload = 21ull << 20;
  static constexpr std::chrono::milliseconds kAdmissionWait{10'000};

  // max_memory 0: no budget; per_key 0: no count per key.
  UploadAdmission(std::uint64_t max_memory, std::uint64_t per_key,
                  std::chrono::milliseconds wait = kAdmissionWait);

  // Holds the upload's share until destroyed.
  class Ticket {
   public:
    Ticket(UploadAdmission* owner, std::int64_t key) : owner_(owner), key_(key) {}
    Ticket(Ticket&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)), key_(other.key_) {}
    Ticket(const Ticket&) = delete;
    ~Ticket();

   private:
    UploadAdmission* owner_;
    std::int64_t key_;
  };

  // `key`: the key's id (the master key counts as one key).
  boost::asio::awaitable<std::variant<Ticket, ApiError>> admit(std::int64_t key);

  std::uint64_t slots() const { return slots_; }

 private:
  std::optional<ApiError> try_take(std::int64_t key, bool& over_budget);
  void give_back(std::int64_t key);

  const std::uint64_t slots_;  // 0: unlimited
  const std::uint64_t per_key_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::uint64_t in_flight_ = 0;
  std::map<std::int64_t, std::uint64_t> per_key_in_flight_;
};

}  // namespace batchgate::api
