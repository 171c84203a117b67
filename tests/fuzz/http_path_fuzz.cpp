// Request targets as the server splits them (server/http/server.cpp: path before '?', parse_query after it),
// matched against the gateway's route patterns (server/http/path_pattern.hpp).
// Input: a request target such as "/v1/files/file-abc%2F1/content?limit=2&after=x%20y".
// Properties: a matched {param} is a non-empty decoded segment, and encoding the decoded params again gives a
// path that matches with the same params; every query name and value decodes to what parse_query returned.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "server/http/path_pattern.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using batchgate::http::PathPattern;

// Routes of server/api (add_openai_route registers each with and without /v1), and one of params only.
const PathPattern kPatterns[] = {
    PathPattern("/v1/files/{file_id}/content"),
    PathPattern("/v1/files/{file_id}"),
    PathPattern("/files/{file_id}/content"),
    PathPattern("/v1/batches/{batch_id}/cancel"),
    PathPattern("/v1/batches/{batch_id}"),
    PathPattern("/batches/{batch_id}"),
    PathPattern("/v1/files"),
    PathPattern("/key/info"),
    PathPattern("/health/liveliness"),
    PathPattern("/{a}/{b}/{c}/{d}"),
};

// Every byte as %XX: the most encoded spelling of a segment.
std::string encode_all(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    out += '%';
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

void check_path(std::string_view path) {
  for (const PathPattern& pattern : kPatterns) {
    const auto params = pattern.match(path);
    if (!params) continue;
    std::string again;
    std::size_t param_index = 0;
    // Rebuild the path from the pattern, each {param} replaced by its decoded value encoded again.
    std::string_view text = pattern.text();
    while (!text.empty()) {
      text.remove_prefix(1);  // '/'
      const std::size_t slash = text.find('/');
      const std::string_view segment = text.substr(0, slash);
      text.remove_prefix(slash == std::string_view::npos ? text.size() : slash);
      again += '/';
      if (segment.front() != '{') {
        again += segment;
        continue;
      }
      const std::string name(segment.substr(1, segment.size() - 2));
      FUZZ_CHECK(params->count(name) == 1);
      FUZZ_CHECK(!params->at(name).empty());
      again += encode_all(params->at(name));
      ++param_index;
    }
    FUZZ_CHECK(params->size() == param_index);
    FUZZ_CHECK(pattern.match(again) == params);
  }
}

void check_query(std::string_view query) {
  const auto parsed = batchgate::http::parse_query(query);
  for (const auto& [name, value] : parsed) {
    const auto name_again = batchgate::http::percent_decode(encode_all(name), true);
    const auto value_again = batchgate::http::percent_decode(encode_all(value), true);
    FUZZ_CHECK(name_again == name);
    FUZZ_CHECK(value_again == value);
  }
  FUZZ_CHECK(batchgate::http::parse_query(query) == parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target = batchgate::fuzz::as_text(data, size);
  const std::size_t question = target.find('?');
  check_path(target.substr(0, question));
  if (question != std::string_view::npos) check_query(target.substr(question + 1));
  return 0;
}
