#include "server/batch/principal.hpp"

#include <algorithm>
#include <string>

namespace batchgate::batch {

bool Principal::may_use_model(std::string_view model_name) const {
  if (is_master || key.models.empty()) return true;
  return std::find(key.models.begin(), key.models.end(), model_name) != key.models.end();
}

std::optional<ApiError> check_budget(const Principal& who) {
  if (who.is_master || !who.key.max_budget || who.key.spend < *who.key.max_budget) return std::nullopt;
  return ApiError{ErrorKind::kInvalidRequest,
                  "This key has reached its max_budget (spent " + std::to_string(who.key.spend) + " of " +
                      std::to_string(*who.key.max_budget) + " USD). Ask your administrator to raise it.",
                  {},
                  "budget_exceeded"};
}

}  // namespace batchgate::batch
