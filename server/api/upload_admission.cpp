#include "server/api/upload_admission.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace batchgate::api {

namespace asio = boost::asio;

UploadAdmission::UploadAdmission(std::uint64_t max_memory, std::uint64_t per_key,
                                 std::chrono::milliseconds wait)
    : slots_(max_memory == 0 ? 0 : std::max<std::uint64_t>(1, max_memory / kChargePerUpload)),
      per_key_(per_key),
      wait_(wait) {}

UploadAdmission::Ticket::~Ticket() {
  if (owner_) owner_->give_back(key_);
}

std::optional<ApiError> UploadAdmission::try_take(std::int64_t key, bool& over_budget) {
  std::lock_guard lock(mutex_);
  over_budget = false;
  auto& mine = per_key_in_flight_[key];
  if (per_key_ != 0 && mine >= per_key_)
    return ApiError{ErrorKind::kRateLimited,
                    "This key already has " + std::to_string(mine) +
                        " uploads in progress (max_uploads_per_key); retry when one has finished.",
                    {},
                    "too_many_uploads"};
  if (slots_ != 0 && in_flight_ >= slots_) {
    over_budget = true;
    return std::nullopt;
  }
  ++mine;
  ++in_flight_;
  return std::nullopt;
}

void UploadAdmission::give_back(std::int64_t key) {
  std::lock_guard lock(mutex_);
  --in_flight_;
  if (auto it = per_key_in_flight_.find(key); it != per_key_in_flight_.end() && --it->second == 0)
    per_key_in_flight_.erase(it);
}

asio::awaitable<std::variant<UploadAdmission::Ticket, ApiError>> UploadAdmission::admit(std::int64_t key) {
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    bool over_budget = false;
    if (auto refused = try_take(key, over_budget)) co_return std::move(*refused);
    if (!over_budget) co_return Ticket(this, key);
    if (std::chrono::steady_clock::now() >= deadline) {
      ApiError busy{
          ErrorKind::kUnavailable,
          "The gateway's upload memory (max_upload_memory) is in use by other uploads; retry shortly.",
          {},
          "uploads_busy"};
      co_return busy;
    }
    pause.expires_after(std::chrono::milliseconds(50));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace batchgate::api
