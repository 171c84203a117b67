#pragma once
// One JSON access-log line per request on the "access" logger (stdout), secrets in the query redacted.

#include <chrono>
#include <cstdint>

#include "server/http/message.hpp"

namespace batchgate::http {

// Sets up the "access" logger on `fd` (stdout in batchgate): lines are collected in memory and written with
// one write(2) per 64 KiB, or when spdlog flushes (flush_every, a warning, shutdown). spdlog's own stdout
// sink flushes every line, which costs a system call per request.
void install_access_logger(int fd);

void log_access(const Request& req, int status, std::uint64_t bytes_out,
                std::chrono::steady_clock::time_point started);

}  // namespace batchgate::http
