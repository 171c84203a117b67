#pragma once
// Bedrock batch job status (spec/bedrock-batch.md §6) → OpenAI batch status (spec/openai-batch.md §3.6).

#include <string_view>

namespace batchgate::translators {

// Submitted/Validating → validating; Scheduled/InProgress → in_progress; Completed/PartiallyCompleted →
// completed (the caller reports finalizing while it collects the outputs); Failed → failed;
// Stopping → cancelling; Stopped → cancelled; Expired → expired.
// Any other string (a status added by AWS later) → "validating": a non-terminal status, so the poller
// keeps polling and never finalizes a job it does not understand. is_known_job_status tells the cases apart.
std::string_view openai_batch_status(std::string_view bedrock_status);

bool is_known_job_status(std::string_view bedrock_status);

// Completed, PartiallyCompleted, Failed, Stopped, Expired: the job will not change any more.
bool is_terminal_job_status(std::string_view bedrock_status);

}  // namespace batchgate::translators
