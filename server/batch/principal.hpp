#pragma once
// Who asks, as far as the batch's rules care: which rows they see, which models they may use, whether their
// budget allows new work. Asio-free.

#include <cstdint>
#include <optional>
#include <string_view>

#include "server/common/api_error.hpp"
#include "storage/records.hpp"

namespace batchgate::batch {

struct Principal {
  bool is_master = false;
  storage::KeyRecord key;  // the virtual key (unset for the master key)

  std::optional<std::int64_t> owner_id() const {
    return is_master ? std::nullopt : std::optional<std::int64_t>(key.id);
  }
  // Models the caller may use: the master key and keys without a list may use every configured model.
  bool may_use_model(std::string_view model_name) const;
  // Whether the caller may see a row owned by `owner` (nullopt: created with the master key).
  bool owns(const std::optional<std::int64_t>& owner) const { return is_master || owner == key.id; }
};

// A key at or over its max_budget may not start new work (uploads, batches).
std::optional<ApiError> check_budget(const Principal& who);

}  // namespace batchgate::batch
