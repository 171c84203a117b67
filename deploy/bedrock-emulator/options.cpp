#include "options.hpp"

#include <charconv>
#include <set>

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

// Knob flags map one-to-one onto the /_emulator/config names ("--throttle-rate" → "throttleRate").
const std::set<std::string, std::less<>>& knob_flags() {
  static const std::set<std::string, std::less<>> kFlags{
      "submitted-seconds",     "validating-seconds",   "scheduled-seconds",
      "stopping-seconds",      "records-per-second",   "throttle-rate",
      "server-error-rate",     "force-quota-exceeded", "record-failure-rate",
      "record-failure-code",   "unprocessed-fraction", "min-records",
      "max-records",           "max-concurrent-jobs",  "seconds-per-timeout-hour",
      "invoke-latency-ms",     "invoke-throttle-rate", "invoke-server-error-rate",
      "invoke-failure-rate",   "invoke-failure-code",  "invoke-throttle-first-n",
      "quota-exceeded-first-n", "output-layout",       "output-lost-fraction",
      "fail-after-fraction",   "stop-conflict"};
  return kFlags;
}

std::string camel_case(std::string_view flag) {
  std::string out;
  bool upper = false;
  for (const char c : flag) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

json knob_value(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  long long integer = 0;
  const auto [iptr, iec] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (iec == std::errc{} && iptr == text.data() + text.size()) return integer;
  double number = 0;
  const auto [dptr, dec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (dec == std::errc{} && dptr == text.data() + text.size()) return number;
  return text;  // rejected later by apply_knobs with the flag's name
}

template <typename T>
bool parse_number(const std::string& text, T& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

}  // namespace

namespace {

struct ParseState {
  Options options;
  std::string access_key;  // --access-key-id / env, paired with secret_key at the end
  std::string secret_key;
  bool s3_endpoint_flag = false;  // --s3-endpoint given (rather than taken from the environment)
};

// Applies one "--name value" flag; an error message when the value is invalid or the flag unknown.
std::optional<std::string> apply_flag(ParseState& state, const std::string& name, const std::string& value) {
  Options& o = state.options;
  if (knob_flags().contains(name)) {
    o.knobs[camel_case(name)] = knob_value(value);
  } else if (name == "host") {
    o.host = value;
  } else if (name == "port") {
    if (!parse_number(value, o.port)) return "invalid --port '" + value + "'";
  } else if (name == "region") {
    o.region = value;
  } else if (name == "account-id") {
    if (value.size() != 12 || value.find_first_not_of("0123456789") != std::string::npos) {
      return "--account-id must be 12 digits";
    }
    o.account_id = value;
  } else if (name == "access-key-id") {
    state.access_key = value;
  } else if (name == "secret-access-key") {
    state.secret_key = value;
  } else if (name == "credential") {
    const auto colon = value.find(':');
    if (colon == std::string::npos || colon == 0) return "--credential must be ACCESS_KEY_ID:SECRET";
    o.credentials[value.substr(0, colon)] = value.substr(colon + 1);
  } else if (name == "s3-endpoint") {
    o.s3_endpoint = value;
    state.s3_endpoint_flag = true;
  } else if (name == "s3-region") {
    o.s3_region = value;
  } else if (name == "s3-access-key-id") {
    o.s3_access_key_id = value;
  } else if (name == "s3-secret-access-key") {
    o.s3_secret_access_key = value;
  } else if (name == "default-timeout-hours") {
    // The service model's range for timeoutDurationInHours (spec §2).
    if (!parse_number(value, o.default_timeout_hours) || o.default_timeout_hours < 24 ||
        o.default_timeout_hours > 168) {
      return "--default-timeout-hours must be between 24 and 168";
    }
  } else if (name == "seed") {
    std::uint64_t seed = 0;
    if (!parse_number(value, seed)) return "invalid --seed '" + value + "'";
    o.seed = seed;
  } else {
    return "unknown option --" + name;
  }
  return std::nullopt;
}

// --serve-s3 without --s3-endpoint: job I/O goes to the emulator's own S3 (its address is known once it
// listens), so an S3_ENDPOINT_URL left in the environment must not send it elsewhere, and it signs with a
// key pair that S3 accepts: the --s3-access-key-id pair when it is one of them, else the emulator's own.
void use_own_s3(ParseState& state) {
  Options& o = state.options;
  o.s3_endpoint.reset();
  const auto accepted = o.credentials.find(o.s3_access_key_id);
  if (accepted != o.credentials.end() && accepted->second == o.s3_secret_access_key) return;
  if (!state.access_key.empty() && !state.secret_key.empty()) {
    o.s3_access_key_id = state.access_key;
    o.s3_secret_access_key = state.secret_key;
  } else if (!o.credentials.empty()) {
    o.s3_access_key_id = o.credentials.begin()->first;
    o.s3_secret_access_key = o.credentials.begin()->second;
  }
}

}  // namespace

std::variant<Options, std::string> parse_options(const std::vector<std::string>& args,
                                                 const Environment& env) {
  auto from_env = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names) {
      if (auto value = env(name); value && !value->empty()) return *value;
    }
    return {};
  };
  ParseState state;
  Options& o = state.options;
  state.access_key = from_env({"BEDROCK_EMULATOR_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"});
  state.secret_key = from_env({"BEDROCK_EMULATOR_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"});
  o.s3_access_key_id = from_env({"AWS_ACCESS_KEY_ID"});
  o.s3_secret_access_key = from_env({"AWS_SECRET_ACCESS_KEY"});
  if (auto endpoint = from_env({"S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}); !endpoint.empty()) {
    o.s3_endpoint = endpoint;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      continue;
    }
    if (flag == "--no-auth") {
      o.verify_signatures = false;
      continue;
    }
    if (flag == "--accept-session-credentials") {
      o.accept_session_credentials = true;
      continue;
    }
    if (flag == "--serve-s3") {
      o.serve_s3 = true;
      continue;
    }
    if (!flag.starts_with("--")) return "unexpected argument '" + flag + "'";
    std::string value;
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag == "--force-quota-exceeded" || flag == "--stop-conflict") {
      value = "true";
    } else {
      if (i + 1 >= args.size()) return "missing value for " + flag;
      value = args[++i];
    }
    if (auto error = apply_flag(state, flag.substr(2), value)) return *error;
  }
  if (!state.access_key.empty() && !state.secret_key.empty())
    o.credentials.emplace(state.access_key, state.secret_key);
  if (o.s3_region.empty()) o.s3_region = o.region;
  if (o.serve_s3 && !state.s3_endpoint_flag) use_own_s3(state);
  if (o.verify_signatures && o.credentials.empty() && !o.help) {
    return "no credentials to verify signatures with: give --access-key-id/--secret-access-key, "
           "--credential, "
           "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or --no-auth";
  }
  return o;
}

std::string usage_text() {
  return R"(usage: bedrock-emulator [options]
  --host ADDR                 listen address (127.0.0.1)
  --port N                    listen port; 0 picks a free one (0). Prints "listening on ADDR:PORT".
  --region R / --account-id N region and account of job ARNs (us-east-1 / 123456789012)
  --access-key-id K --secret-access-key S
                              credentials accepted for SigV4 (env BEDROCK_EMULATOR_ACCESS_KEY_ID/_SECRET_ACCESS_KEY,
                              else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
  --credential K:S            one more accepted key pair (repeatable)
  --no-auth                   accept requests without verifying signatures
  --accept-session-credentials
                              accept requests with an unknown key id that carry X-Amz-Security-Token
                              (temporary credentials, e.g. from moto's STS) without checking the signature
  --s3-endpoint URL           S3 holding job input/output (env S3_ENDPOINT_URL, AWS_ENDPOINT_URL_S3)
  --serve-s3                  also answer path-style S3 requests (/BUCKET, /BUCKET/KEY) on the same port from
                              memory; without --s3-endpoint the jobs' input/output go to this S3 (the
                              environment's S3 endpoint is then ignored)
  --s3-region R               signing region for S3 (the --region)
  --s3-access-key-id K --s3-secret-access-key S   S3 credentials (env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
  --default-timeout-hours N   timeoutDurationInHours when omitted (168)
  --seed N                    deterministic job ids and fault draws
knobs (also POST /_emulator/config with the camelCase name, e.g. {"throttleRate":0.5}):
  --submitted-seconds 0.5 --validating-seconds 0.5 --scheduled-seconds 0.5 --stopping-seconds 0.5
  --records-per-second 1000 --throttle-rate 0 --server-error-rate 0 --force-quota-exceeded
  --quota-exceeded-first-n 0
  --record-failure-rate 0 --record-failure-code 500 --unprocessed-fraction 0
  --min-records 100 --max-records 50000 --max-concurrent-jobs 20 --seconds-per-timeout-hour 3600
  InvokeModel: --invoke-latency-ms 0 --invoke-throttle-rate 0 --invoke-server-error-rate 0
  --invoke-failure-rate 0 --invoke-failure-code 424 --invoke-throttle-first-n 0
  Real-Bedrock differences: --output-layout standard|renamed|flat --output-lost-fraction 0
  --fail-after-fraction 0 --stop-conflict
)";
}

}  // namespace batchgate::bedrock_emulator
