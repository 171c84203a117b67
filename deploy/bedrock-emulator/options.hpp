#pragma once

// Command line and environment of the bedrock-emulator executable (README.md lists every flag).

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace batchgate::bedrock_emulator {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 → a free port, printed as "listening on HOST:PORT"
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  bool verify_signatures = true;
  bool accept_session_credentials = false;         // see AuthSettings::accept_session_credentials
  std::map<std::string, std::string> credentials;  // access key id → secret, for SigV4 verification
  std::optional<std::string> s3_endpoint;          // where job input/output lives (moto_server)
  // Serve an in-memory S3 on the same port (s3_routes.hpp); without --s3-endpoint, job I/O uses it too.
  bool serve_s3 = false;
  std::string s3_region;  // default: region
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  int default_timeout_hours = 168;
  std::optional<std::uint64_t> seed;                // fixes job ids and fault-injection draws
  nlohmann::json knobs = nlohmann::json::object();  // knob flags, in POST /_emulator/config names
  bool help = false;
};

using Environment = std::function<std::optional<std::string>(const char* name)>;

// Parses argv[1..]; returns an error message for an unknown flag or a missing/invalid value.
std::variant<Options, std::string> parse_options(const std::vector<std::string>& args,
                                                 const Environment& env);

std::string usage_text();

}  // namespace batchgate::bedrock_emulator
