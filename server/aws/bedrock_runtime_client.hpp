#pragma once
// Amazon Bedrock runtime client: InvokeModel (POST /model/{modelId}/invoke, restJson1, SigV4 with signing
// name "bedrock"), for records run on demand. The request body is a batch record's modelInput: for every
// model family batchgate supports it is exactly the InvokeModel body. Failures are BedrockErrors, as for the
// control plane (bedrock_client.hpp).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/aws/bedrock_client.hpp"
#include "server/aws/http_client.hpp"

namespace batchgate::aws {

struct BedrockRuntimeConfig {
  // Endpoint override; default https://bedrock-runtime.{region}.amazonaws.com.
  std::optional<std::string> endpoint_url;
  std::string region = "us-east-1";
  CredentialsProvider credentials;
  RetryPolicy retry;
  Clock clock;  // empty → system clock
};

struct InvokeResult {
  std::string body;                           // the model's native response JSON
  std::optional<std::int64_t> input_tokens;   // X-Amzn-Bedrock-Input-Token-Count
  std::optional<std::int64_t> output_tokens;  // X-Amzn-Bedrock-Output-Token-Count
};

class BedrockRuntimeClient {
 public:
  BedrockRuntimeClient(HttpClient& http, BedrockRuntimeConfig config);

  // Throttling and 5xx are retried per config.retry before they are returned.
  boost::asio::awaitable<BedrockResult<InvokeResult>> invoke_model(std::string model_id, std::string body);

 private:
  HttpClient& http_;
  BedrockRuntimeConfig config_;
};

// "/model/{modelId}/invoke" with the model id percent-encoded as one label (':' and '/' included).
std::string invoke_path(std::string_view model_id);

}  // namespace batchgate::aws
