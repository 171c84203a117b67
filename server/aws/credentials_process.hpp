#pragma once

// Running a profile's credential_process (spec/aws-sigv4-s3.md §4.6). Blocking: call it off the I/O threads.

#include <chrono>
#include <string>

#include "server/aws/credentials_documents.hpp"

namespace batchgate::aws {

struct ProcessOutput {
  int exit_status = -1;  // -1: killed (timeout) or not started
  std::string out;       // stdout
  std::string err;       // stderr, cut to a few hundred bytes
};

// Runs `command` through /bin/sh -c (botocore shell-splits it and runs it without a shell; the difference
// only shows for shell metacharacters) and collects its output. The process is killed after `timeout`.
CredentialsResult<ProcessOutput> run_process_blocking(const std::string& command,
                                                      std::chrono::milliseconds timeout);

// Runs the command and parses its {"Version":1,...} output; errors name the failure (exit status, stderr).
CredentialsResult<TimedCredentials> credential_process_blocking(const std::string& command,
                                                                std::chrono::milliseconds timeout);

}  // namespace batchgate::aws
