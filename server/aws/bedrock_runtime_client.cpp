#include "server/aws/bedrock_runtime_client.hpp"

#include <charconv>

#include "server/aws/sigv4.hpp"

namespace batchgate::aws {
namespace {

namespace asio = boost::asio;

std::optional<std::int64_t> count_header(const HttpResponse& response, std::string_view name) {
  auto value = response.header(name);
  if (!value) return std::nullopt;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc{} || ptr != value->data() + value->size()) return std::nullopt;
  return n;
}

}  // namespace

std::string invoke_path(std::string_view model_id) {
  return "/model/" + uri_encode(model_id, false) + "/invoke";
}

BedrockRuntimeClient::BedrockRuntimeClient(HttpClient& http, BedrockRuntimeConfig config)
    : http_(http), config_(std::move(config)) {}

asio::awaitable<BedrockResult<InvokeResult>> BedrockRuntimeClient::invoke_model(std::string model_id,
                                                                                std::string body) {
  const std::string url =
      config_.endpoint_url.value_or("https://bedrock-runtime." + config_.region + ".amazonaws.com");
  const auto endpoint = parse_url(url);
  if (!endpoint)
    co_return BedrockError{BedrockErrc::kOther, "", "invalid Bedrock runtime endpoint URL '" + url + "'", 0};
  HttpRequest request;
  request.method = "POST";
  request.path = endpoint->base_path + invoke_path(model_id);
  request.headers.push_back({"Content-Type", "application/json"});
  request.headers.push_back({"Accept", "application/json"});
  request.body = std::move(body);
  // The runtime's signing name is "bedrock", like the control plane's.
  AwsSigning signing{config_.region, "bedrock", config_.credentials, config_.clock};
  auto response =
      co_await send_signed(http_, *endpoint, std::move(request), std::move(signing), config_.retry);
  if (!response) co_return BedrockError{BedrockErrc::kOther, "", response.error().message(), 0};
  if (response->status < 200 || response->status >= 300) co_return bedrock_error_from_response(*response);
  InvokeResult result;
  result.input_tokens = count_header(*response, "X-Amzn-Bedrock-Input-Token-Count");
  result.output_tokens = count_header(*response, "X-Amzn-Bedrock-Output-Token-Count");
  result.body = std::move(response->body);
  co_return result;
}

}  // namespace batchgate::aws
