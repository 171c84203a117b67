#pragma once
// POST /v1/files for purpose=batch: the multipart body is parsed as it streams in and its parts handed to
// the batch core's FileIngest (server/batch/file_ingest.hpp), which checks, translates and stores them.

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "server/api/context.hpp"
#include "server/http/message.hpp"

namespace batchgate::api {

boost::asio::awaitable<http::Response> upload_file(RouteContext& app, http::Request& req,
                                                   const Principal& who);

// The OpenAI file object.
nlohmann::json file_json(const storage::FileRecord& file);

}  // namespace batchgate::api
