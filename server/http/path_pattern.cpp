#include "server/http/path_pattern.hpp"

namespace batchgate::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

PathPattern::PathPattern(std::string_view pattern) : text_(pattern) {
  for (auto seg : split_path(pattern)) {
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}')
      segments_.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
    else
      segments_.push_back({std::string(seg), false});
  }
}

std::optional<std::map<std::string, std::string>> PathPattern::match(std::string_view path) const {
  auto parts = split_path(path);
  if (parts.size() != segments_.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!segments_[i].is_param) {
      if (parts[i] != segments_[i].text) return std::nullopt;
      continue;
    }
    auto decoded = percent_decode(parts[i], false);
    if (!decoded || decoded->empty()) return std::nullopt;
    params.emplace(segments_[i].text, std::move(*decoded));
  }
  return params;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(char(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= query.size()) {
    size_t amp = query.find('&', i);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(i, amp - i);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto name = percent_decode(pair.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                : percent_decode(pair.substr(eq + 1), true);
      if (name && value) out[*name] = *value;
    }
    i = amp + 1;
  }
  return out;
}

}  // namespace batchgate::http
