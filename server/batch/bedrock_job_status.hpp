#pragma once
// A Bedrock batch job's status (spec/bedrock-batch.md §6) in the batch's terms (spec/openai-batch.md
// §3.6). Pure.
//
// Submitted/Validating → pending (validating); Scheduled/InProgress → running (in_progress); Stopping →
// stopping (cancelling); Failed → ended, failed, with the unprocessed records as batch_failed (the records it
// processed before failing are collected and billed); Completed → ended, completed; PartiallyCompleted (the
// timeout stopped a running job) → ended, expired with the unprocessed records as batch_expired; Stopped →
// ended, cancelled; Expired (the timeout passed before it started) → ended, expired. Any other string (a
// status AWS adds later) → pending: not terminal, so the lifecycle keeps polling and never finalizes a job it
// does not understand.

#include <string_view>

#include "server/batch/record_runner.hpp"

namespace batchgate::batch {

JobView bedrock_job_view(std::string_view bedrock_status);

bool is_known_bedrock_job_status(std::string_view bedrock_status);

}  // namespace batchgate::batch
