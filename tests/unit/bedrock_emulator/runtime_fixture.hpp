#pragma once

// A Router with a fixed clock and a controllable random draw, and InvokeModel requests signed the way
// botocore's bedrock-runtime client signs them (host bedrock-runtime.us-east-1.amazonaws.com, signing
// name `bedrock`, the {modelId} label percent-encoded).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "router.hpp"
#include "server/aws/sigv4.hpp"

namespace batchgate::bedrock_emulator {

inline constexpr const char* kRuntimeSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr const char* kRuntimeHost = "bedrock-runtime.us-east-1.amazonaws.com";
inline constexpr const char* kClaude = "anthropic.claude-3-haiku-20240307-v1:0";

class EmulatorInvokeTest : public testing::Test {
 protected:
  EmulatorInvokeTest()
      : now_(*parse_iso8601("2024-01-15T12:00:00Z")),
        store_(
            StoreSettings{}, [this] { return now_; }, [] { return std::string("abcdefghij12"); }),
        router_(store_, knobs_, auth(), [this] { return random_; }, {}) {}

  static AuthSettings auth() {
    AuthSettings a;
    a.secrets["AKIDEXAMPLE"] = kRuntimeSecret;
    return a;
  }

  EmulatorRequest signed_request(std::string method, std::string target, std::string body,
                                 aws::Headers extra = {{"Content-Type", "application/json"}},
                                 std::string service = "bedrock", std::string secret = kRuntimeSecret) {
    EmulatorRequest r{std::move(method), std::move(target), {{"Host", kRuntimeHost}}, std::move(body)};
    for (auto& header : extra) r.headers.push_back(std::move(header));
    aws::SigningRequest s;
    s.method = r.method;
    s.host = kRuntimeHost;
    const auto q = r.target.find('?');
    s.path = r.target.substr(0, q);
    if (q != std::string::npos) s.query = aws::parse_query_string(r.target.substr(q + 1));
    s.headers = r.headers;
    s.payload_hash = aws::sha256_hex(r.body);
    for (auto& h :
         aws::sign(s, aws::Credentials{"AKIDEXAMPLE", secret, std::nullopt}, "us-east-1", service, now_)) {
      r.headers.push_back(std::move(h));
    }
    return r;
  }

  // POST /model/{modelId}/invoke with the id encoded as one label, as the SDKs send it.
  EmulatorResponse invoke(const std::string& model_id, const std::string& body,
                          aws::Headers extra = {{"Content-Type", "application/json"}}) {
    return router_.handle(
        signed_request("POST", "/model/" + aws::uri_encode(model_id, false) + "/invoke", body, extra));
  }

  // The runtime error shape: the code only in x-amzn-ErrorType, the body just {"message": ...}.
  static std::string error_type(const EmulatorResponse& r) {
    const auto header = aws::find_header(r.headers, "x-amzn-ErrorType");
    EXPECT_TRUE(header);
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_TRUE(body["message"].is_string() && !body["message"].get<std::string>().empty()) << r.body;
    EXPECT_FALSE(body.contains("__type")) << r.body;
    return std::string(header.value_or(""));
  }

  static std::string header(const EmulatorResponse& r, std::string_view name) {
    return std::string(aws::find_header(r.headers, name).value_or(""));
  }

  nlohmann::json admin(std::string method, std::string path, std::string body = "") {
    const auto response = router_.handle({std::move(method), std::move(path), {}, std::move(body)});
    EXPECT_EQ(response.status, 200) << response.body;
    return nlohmann::json::parse(response.body);
  }

  TimePoint now_;
  double random_ = 0.5;
  Knobs knobs_;
  JobStore store_;
  Router router_;
};

inline std::string claude_body(const std::string& text, int max_tokens = 100) {
  return nlohmann::json{{"anthropic_version", "bedrock-2023-05-31"},
                        {"max_tokens", max_tokens},
                        {"messages", nlohmann::json::array({{{"role", "user"}, {"content", text}}})}}
      .dump();
}

}  // namespace batchgate::bedrock_emulator
