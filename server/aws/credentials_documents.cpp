#include "server/aws/credentials_documents.hpp"

#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace batchgate::aws {
namespace {

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

// Reads exactly `width` digits at `pos`; nullopt when they are not all digits.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::string string_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// Parses a JSON object; `what` names the document in the error ("container credentials response").
CredentialsResult<nlohmann::json> parse_object(std::string_view json, std::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return credentials_error(std::string(what) + " is not a JSON object");
  }
  return CredentialsResult<nlohmann::json>(boost::system::in_place_value, std::move(parsed));
}

// The common shape: access key, secret, token field `token_key`, Expiration. Missing fields are named.
CredentialsResult<TimedCredentials> read_fields(const nlohmann::json& object, std::string_view what,
                                                const char* token_key, bool token_and_expiry_required) {
  TimedCredentials out;
  out.credentials.access_key_id = string_field(object, "AccessKeyId");
  out.credentials.secret_access_key = string_field(object, "SecretAccessKey");
  std::string token = string_field(object, token_key);
  std::string expiration = string_field(object, "Expiration");
  std::string missing;
  if (out.credentials.access_key_id.empty()) missing += " AccessKeyId";
  if (out.credentials.secret_access_key.empty()) missing += " SecretAccessKey";
  if (token_and_expiry_required && token.empty()) missing += std::string(" ") + token_key;
  if (token_and_expiry_required && expiration.empty()) missing += " Expiration";
  if (!missing.empty()) return credentials_error(std::string(what) + " lacks" + missing);
  if (!token.empty()) out.credentials.session_token = token;
  if (!expiration.empty()) {
    out.expiration = parse_iso8601(expiration);
    if (!out.expiration) {
      return credentials_error(std::string(what) + " has an Expiration that is not ISO-8601: " + expiration);
    }
  }
  return out;
}

}  // namespace

void throw_exception_from_error(const CredentialsError& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

std::optional<SystemTime> parse_iso8601(std::string_view text) {
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  auto hour = digits(text, 11, 2);
  auto minute = digits(text, 14, 2);
  auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  long long offset_seconds = 0;
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset_seconds = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    auto zh = digits(zone, 1, 2);
    auto zm = digits(zone, 4, 2);
    if (!zh || !zm) return std::nullopt;
    offset_seconds = (*zh * 3600LL + *zm * 60LL) * (zone[0] == '+' ? 1 : -1);
  } else if (!zone.empty()) {
    return std::nullopt;
  }
  long long days = days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  long long seconds = days * 86400 + *hour * 3600LL + *minute * 60LL + *second - offset_seconds;
  return SystemTime(std::chrono::seconds(seconds));
}

CredentialsResult<TimedCredentials> parse_container_credentials(std::string_view json) {
  constexpr std::string_view kWhat = "container credentials response";
  auto object = parse_object(json, kWhat);
  if (!object) return object.error();
  return read_fields(*object, kWhat, "Token", true);
}

CredentialsResult<TimedCredentials> parse_imds_credentials(std::string_view json) {
  constexpr std::string_view kWhat = "IMDS credentials response";
  auto object = parse_object(json, kWhat);
  if (!object) return object.error();
  // IMDS may answer 200 with {"Code":"AssumeRoleUnauthorizedAccess","Message":...} (spec §4.5).
  std::string code = string_field(*object, "Code");
  if (!code.empty() && code != "Success") {
    std::string message = string_field(*object, "Message");
    return credentials_error(std::string(kWhat) + " reports Code " + code +
                             (message.empty() ? "" : ": " + message));
  }
  return read_fields(*object, kWhat, "Token", true);
}

CredentialsResult<TimedCredentials> parse_process_credentials(std::string_view json) {
  constexpr std::string_view kWhat = "credential_process output";
  auto object = parse_object(json, kWhat);
  if (!object) return object.error();
  auto version = object->find("Version");
  if (version == object->end() || !version->is_number_integer() || version->get<int>() != 1) {
    return credentials_error(std::string(kWhat) + " must have \"Version\": 1");
  }
  return read_fields(*object, kWhat, "SessionToken", false);
}

RefreshNeed refresh_need(const std::optional<TimedCredentials>& cached, SystemTime now,
                         std::optional<SystemTime> last_attempt, const RefreshPolicy& policy) {
  if (!cached) return RefreshNeed::kMandatory;
  if (!cached->expiration) return RefreshNeed::kNone;
  if (now >= *cached->expiration) return RefreshNeed::kMandatory;
  if (now < *cached->expiration - policy.advisory_window) return RefreshNeed::kNone;
  if (last_attempt && now < *last_attempt + policy.retry_interval) return RefreshNeed::kNone;
  return RefreshNeed::kAdvisory;
}

}  // namespace batchgate::aws
