#pragma once
// POST /v1/files for purpose=batch: the multipart body streams through the line checker/translator into two
// S3 multipart uploads (the original JSONL, and the Bedrock records), so memory stays flat whatever the file
// size. A refused file leaves nothing behind: both uploads are aborted and no row is written.

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "server/api/context.hpp"
#include "server/http/message.hpp"

namespace batchgate::api {

boost::asio::awaitable<http::Response> upload_file(AppContext& app, http::Request& req, const Principal& who);

// The OpenAI file object.
nlohmann::json file_json(const storage::FileRecord& file);

}  // namespace batchgate::api
