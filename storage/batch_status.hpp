#pragma once
// An OpenAI batch's status (spec/openai-batch.md §3.6) and its one string mapping. Stores keep the string;
// everything else works with the enum.

#include <array>
#include <optional>
#include <string_view>

namespace batchgate::storage {

enum class BatchStatus {
  kValidating,
  kInProgress,
  kFinalizing,
  kCompleted,
  kFailed,
  kExpired,
  kCancelling,
  kCancelled,
};

inline constexpr std::array<BatchStatus, 8> kAllBatchStatuses = {
    BatchStatus::kValidating, BatchStatus::kInProgress, BatchStatus::kFinalizing, BatchStatus::kCompleted,
    BatchStatus::kFailed,     BatchStatus::kExpired,    BatchStatus::kCancelling, BatchStatus::kCancelled};

// "validating", "in_progress", … as OpenAI spells them.
std::string_view to_string(BatchStatus status);
// nullopt for a string that is not one of OpenAI's batch statuses.
std::optional<BatchStatus> parse_batch_status(std::string_view text);

// completed, failed, expired, cancelled: the batch will not change any more.
bool is_terminal(BatchStatus status);
// Not terminal: the batch still needs its input file and the lifecycle still drives it.
inline bool is_active(BatchStatus status) {
  return !is_terminal(status);
}

}  // namespace batchgate::storage
