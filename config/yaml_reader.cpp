#include "config/yaml_reader.hpp"

#include "config/duration.hpp"

namespace batchgate::config {
namespace {

constexpr std::string_view kEnvPrefix = "os.environ/";

}  // namespace

std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : YAML::Dump(key);
}

std::optional<std::string> Reader::string(const YAML::Node& map, const std::string& key,
                                          const std::string& path) {
  // yaml-cpp throws when a scalar is subscripted: a block given as a scalar ("general_settings: x") has no
  // keys, so each key reads as absent and its own message says what is missing.
  if (!map.IsMap()) return std::nullopt;
  const YAML::Node n = map[key];
  if (!n || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    error(path, "must be a string");
    return std::nullopt;
  }
  std::string value = n.Scalar();
  if (value.rfind(kEnvPrefix, 0) != 0) return value;
  std::string name = value.substr(kEnvPrefix.size());
  auto resolved = env_(name);
  if (!resolved) {
    error(path, "environment variable " + name + " is not set (referenced as os.environ/" + name + ")");
    return std::nullopt;
  }
  return resolved;
}

std::optional<double> Reader::number(const YAML::Node& map, const std::string& key, const std::string& path) {
  auto s = string(map, key, path);
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    double v = std::stod(*s, &used);
    if (used != s->size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    error(path, "must be a number, got '" + *s + "'");
    return std::nullopt;
  }
}

std::optional<long long> Reader::integer(const YAML::Node& map, const std::string& key,
                                         const std::string& path, long long min, long long max) {
  auto s = string(map, key, path);
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    long long v = std::stoll(*s, &used);
    if (used != s->size()) throw std::invalid_argument("trailing");
    if (v < min || v > max) {
      error(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + *s);
      return std::nullopt;
    }
    return v;
  } catch (const std::exception&) {
    error(path, "must be a whole number, got '" + *s + "'");
    return std::nullopt;
  }
}

std::optional<bool> Reader::boolean(const YAML::Node& map, const std::string& key, const std::string& path) {
  auto s = string(map, key, path);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "True" || *s == "yes" || *s == "1") return true;
  if (*s == "false" || *s == "False" || *s == "no" || *s == "0") return false;
  error(path, "must be true or false, got '" + *s + "'");
  return std::nullopt;
}

std::optional<std::chrono::seconds> Reader::seconds(const YAML::Node& map, const std::string& key,
                                                    const std::string& path) {
  auto s = string(map, key, path);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d || d->count() <= 0) {
    error(path, "must be a positive duration like 30, 30s, 5m or 1h, got '" + *s + "'");
    return std::nullopt;
  }
  return d;
}

void Reader::warn_unknown(const YAML::Node& map, const std::string& path, const std::set<std::string>& known,
                          const std::string& message) {
  if (!map.IsMap()) return;
  for (const auto& kv : map) {
    const std::string key = key_text(kv.first);
    if (!known.contains(key)) warn(join(path, key), message);
  }
}

}  // namespace batchgate::config
