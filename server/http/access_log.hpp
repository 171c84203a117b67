#pragma once
// One JSON access-log line per request on the "access" logger (stdout), secrets in the query redacted.

#include <chrono>
#include <cstdint>

#include "server/http/message.hpp"

namespace batchgate::http {

void log_access(const Request& req, int status, std::uint64_t bytes_out,
                std::chrono::steady_clock::time_point started);

}  // namespace batchgate::http
