#include "server/aws/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace batchgate::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// botocore auth.py SIGNED_HEADERS_BLACKLIST plus headers an HTTP stack may rewrite (spec §1.5).
constexpr std::array<std::string_view, 12> kUnsignedHeaders = {"authorization",
                                                               "connection",
                                                               "expect",
                                                               "keep-alive",
                                                               "proxy-authenticate",
                                                               "proxy-authorization",
                                                               "te",
                                                               "trailer",
                                                               "transfer-encoding",
                                                               "upgrade",
                                                               "user-agent",
                                                               "x-amzn-trace-id"};

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Trim and collapse every whitespace run to one space (botocore: ' '.join(value.split())).
std::string normalize_header_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// RFC 3986 remove_dot_segments plus collapsing of empty segments, as botocore's normalize_url_path.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view segment = path.substr(pos, next - pos);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    pos = next + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && path.size() > 1 && path.back() == '/') out += '/';
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (true) {
    std::size_t next = s.find(separator, pos);
    parts.push_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) return parts;
    pos = next + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    out.push_back('%');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

std::string uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  if (query.empty()) return params;
  for (std::string_view part : split(query, '&')) {
    if (part.empty()) continue;
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      params.emplace_back(uri_decode(part), "");
      continue;
    }
    params.emplace_back(uri_decode(part.substr(0, eq)), uri_decode(part.substr(eq + 1)));
  }
  return params;
}

std::string format_amz_date(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 20> buffer{};
  std::strftime(buffer.data(), buffer.size(), "%Y%m%dT%H%M%SZ", &utc);
  return std::string(buffer.data());
}

std::string SigningScope::credential_scope() const {
  return date() + "/" + region + "/" + service + "/aws4_request";
}

std::string canonical_uri(std::string_view wire_path, UriRules rules) {
  if (wire_path.empty()) return "/";
  if (rules == UriRules::kS3) return std::string(wire_path);
  return uri_encode(normalize_path(wire_path), true);
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query, bool keep_slash) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, keep_slash), uri_encode(value, keep_slash));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_headers(const SigningRequest& request, const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    std::vector<std::string> values;
    for (const Header& header : request.headers) {
      if (iequals(header.name, name)) values.push_back(normalize_header_value(header.value));
    }
    if (values.empty() && name == "host") values.push_back(request.host);
    out += name;
    out += ':';
    out += join(values, ",");
    out += '\n';
  }
  return out;
}

std::vector<std::string> default_signed_headers(const SigningRequest& request) {
  std::vector<std::string> names{"host"};
  for (const Header& header : request.headers) {
    std::string name = to_lower(header.name);
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), name) != kUnsignedHeaders.end()) continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string canonical_request(const SigningRequest& request, const std::vector<std::string>& signed_headers,
                              UriRules rules) {
  std::string out = request.method;
  out += '\n';
  out += canonical_uri(request.path, rules);
  out += '\n';
  out += canonical_query(request.query, request.query_keeps_slash);
  out += '\n';
  out += canonical_headers(request, signed_headers);
  out += '\n';
  out += join(signed_headers, ";");
  out += '\n';
  out += request.payload_hash;
  return out;
}

std::string string_to_sign(const SigningScope& scope, std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += scope.amz_date;
  out += '\n';
  out += scope.credential_scope();
  out += '\n';
  out += sha256_hex(canonical_request);
  return out;
}

std::string signing_key(std::string_view secret_access_key, const SigningScope& scope) {
  std::string key = hmac_sha256("AWS4" + std::string(secret_access_key), scope.date());
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  return hmac_sha256(key, "aws4_request");
}

std::string compute_signature(std::string_view signing_key, std::string_view string_to_sign) {
  return hex_encode(hmac_sha256(signing_key, string_to_sign));
}

std::string authorization_header(std::string_view access_key_id, const SigningScope& scope,
                                 const std::vector<std::string>& signed_headers, std::string_view signature) {
  std::string out(kAlgorithm);
  out += " Credential=";
  out += access_key_id;
  out += '/';
  out += scope.credential_scope();
  out += ", SignedHeaders=";
  out += join(signed_headers, ";");
  out += ", Signature=";
  out += signature;
  return out;
}

Headers sign(const SigningRequest& request, const Credentials& credentials, std::string_view region,
             std::string_view service, std::chrono::system_clock::time_point time) {
  SigningScope scope{format_amz_date(time), std::string(region), std::string(service)};
  Headers added{{"X-Amz-Date", scope.amz_date}};
  // The token is signed (spec §1.6), so it is added before signing.
  if (credentials.session_token && !credentials.session_token->empty()) {
    added.push_back({"X-Amz-Security-Token", *credentials.session_token});
  }
  UriRules rules = uri_rules_for(service);
  // S3 requires x-amz-content-sha256 on every request (spec §1.6).
  if (rules == UriRules::kS3) added.push_back({"x-amz-content-sha256", request.payload_hash});

  SigningRequest full = request;
  full.headers.insert(full.headers.end(), added.begin(), added.end());
  std::vector<std::string> signed_headers = default_signed_headers(full);
  std::string creq = canonical_request(full, signed_headers, rules);
  std::string signature =
      compute_signature(signing_key(credentials.secret_access_key, scope), string_to_sign(scope, creq));
  added.push_back(
      {"Authorization", authorization_header(credentials.access_key_id, scope, signed_headers, signature)});
  return added;
}

HttpRequest sign_request(HttpRequest request, std::string_view host, const Credentials& credentials,
                         std::string_view region, std::string_view service,
                         std::chrono::system_clock::time_point time, std::optional<std::string> body_sha256,
                         bool query_keeps_slash) {
  const bool s3 = uri_rules_for(service) == UriRules::kS3;
  std::string payload_hash;
  if (auto given = find_header(request.headers, "x-amz-content-sha256"); s3 && given) {
    payload_hash = std::string(*given);
  } else {
    payload_hash = body_sha256 ? std::move(*body_sha256) : sha256_hex(request.payload());
  }
  std::erase_if(request.headers, [](const Header& h) {
    return iequals(h.name, "x-amz-content-sha256") || iequals(h.name, "Authorization") ||
           iequals(h.name, "X-Amz-Date") || iequals(h.name, "X-Amz-Security-Token");
  });
  if (!find_header(request.headers, "Host")) request.headers.push_back({"Host", std::string(host)});
  SigningRequest to_sign{request.method,   std::string(*find_header(request.headers, "Host")),
                         request.path,     parse_query_string(request.query),
                         request.headers,  std::move(payload_hash),
                         query_keeps_slash};
  Headers added = sign(to_sign, credentials, region, service, time);
  request.headers.insert(request.headers.end(), added.begin(), added.end());
  return request;
}

SigningRequest received_signing_request(std::string_view method, std::string_view target, Headers headers,
                                        std::string_view body) {
  std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  std::string payload_hash;
  if (auto given = find_header(headers, "x-amz-content-sha256")) {
    payload_hash = std::string(*given);
  } else {
    payload_hash = sha256_hex(body);
  }
  std::string host(find_header(headers, "Host").value_or(""));
  return SigningRequest{std::string(method),       std::move(host),    std::string(path),
                        parse_query_string(query), std::move(headers), std::move(payload_hash)};
}

std::optional<ParsedAuthorization> parse_authorization(std::string_view header) {
  header = trim(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
  header.remove_prefix(kAlgorithm.size());
  ParsedAuthorization parsed;
  bool have_credential = false;
  bool have_signed = false;
  for (std::string_view part : split(header, ',')) {
    part = trim(part);
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = part.substr(0, eq);
    std::string_view value = part.substr(eq + 1);
    if (key == "Credential") {
      std::vector<std::string_view> fields = split(value, '/');
      if (fields.size() != 5 || fields[4] != "aws4_request") return std::nullopt;
      parsed.access_key_id = fields[0];
      parsed.date = fields[1];
      parsed.region = fields[2];
      parsed.service = fields[3];
      have_credential = true;
    } else if (key == "SignedHeaders") {
      for (std::string_view name : split(value, ';')) parsed.signed_headers.push_back(to_lower(name));
      have_signed = true;
    } else if (key == "Signature") {
      parsed.signature = value;
    }
  }
  if (!have_credential || !have_signed || parsed.signature.empty()) return std::nullopt;
  return parsed;
}

std::string signature_for_received(const SigningRequest& request, const ParsedAuthorization& auth,
                                   std::string_view amz_date, std::string_view secret_access_key) {
  SigningScope scope{std::string(amz_date), auth.region, auth.service};
  std::string creq = canonical_request(request, auth.signed_headers, uri_rules_for(auth.service));
  return compute_signature(signing_key(secret_access_key, scope), string_to_sign(scope, creq));
}

bool signatures_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace batchgate::aws
