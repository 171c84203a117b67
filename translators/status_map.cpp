#include "translators/status_map.hpp"

#include <array>
#include <utility>

namespace batchgate::translators {
namespace {

struct Row {
  std::string_view bedrock;
  std::string_view openai;
  bool terminal;
};

constexpr std::array<Row, 10> kRows = {{
    {"Submitted", "validating", false},
    {"Validating", "validating", false},
    {"Scheduled", "in_progress", false},
    {"InProgress", "in_progress", false},
    {"Completed", "completed", true},
    {"PartiallyCompleted", "completed", true},
    {"Failed", "failed", true},
    {"Stopping", "cancelling", false},
    {"Stopped", "cancelled", true},
    {"Expired", "expired", true},
}};

const Row* find_row(std::string_view bedrock_status) {
  for (const Row& row : kRows) {
    if (row.bedrock == bedrock_status) return &row;
  }
  return nullptr;
}

}  // namespace

std::string_view openai_batch_status(std::string_view bedrock_status) {
  const Row* row = find_row(bedrock_status);
  return row != nullptr ? row->openai : "validating";
}

bool is_known_job_status(std::string_view bedrock_status) {
  return find_row(bedrock_status) != nullptr;
}

bool is_terminal_job_status(std::string_view bedrock_status) {
  const Row* row = find_row(bedrock_status);
  return row != nullptr && row->terminal;
}

}  // namespace batchgate::translators
