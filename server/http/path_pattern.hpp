#pragma once
// Route patterns like "/v1/files/{file_id}/content": literal segments and named {params}. Asio-free.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace batchgate::http {

class PathPattern {
 public:
  explicit PathPattern(std::string_view pattern);
  // The params of a matching path (already percent-decoded), nullopt when it does not match.
  std::optional<std::map<std::string, std::string>> match(std::string_view path) const;
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  std::string text_;
  std::vector<Segment> segments_;
};

// Percent-decoding of one path segment or query component ('+' is a space only in queries).
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);
// "a=1&b=x%20y" → {a:1, b:"x y"}; the last value wins for repeated names.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace batchgate::http
