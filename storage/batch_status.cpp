#include "storage/batch_status.hpp"

namespace batchgate::storage {
namespace {

struct Row {
  BatchStatus status;
  std::string_view name;
  bool terminal;
};

constexpr std::array<Row, 8> kRows = {{
    {BatchStatus::kValidating, "validating", false},
    {BatchStatus::kInProgress, "in_progress", false},
    {BatchStatus::kFinalizing, "finalizing", false},
    {BatchStatus::kCompleted, "completed", true},
    {BatchStatus::kFailed, "failed", true},
    {BatchStatus::kExpired, "expired", true},
    {BatchStatus::kCancelling, "cancelling", false},
    {BatchStatus::kCancelled, "cancelled", true},
}};

const Row& row_of(BatchStatus status) {
  for (const Row& row : kRows)
    if (row.status == status) return row;
  return kRows[0];
}

}  // namespace

std::string_view to_string(BatchStatus status) {
  return row_of(status).name;
}

std::optional<BatchStatus> parse_batch_status(std::string_view text) {
  for (const Row& row : kRows)
    if (row.name == text) return row.status;
  return std::nullopt;
}

bool is_terminal(BatchStatus status) {
  return row_of(status).terminal;
}

}  // namespace batchgate::storage
