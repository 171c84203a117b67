#pragma once
// Reading typed values out of the YAML tree with every problem recorded by its YAML path, and os.environ/NAME
// resolved through the injected environment. Internal to the loader.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace batchgate::config {

class Reader {
 public:
  explicit Reader(EnvLookup env) : env_(std::move(env)) {}

  // What os.environ/ references and environment fallbacks read (environment_variables overlays it).
  void set_env(EnvLookup env) { env_ = std::move(env); }
  const EnvLookup& env() const { return env_; }

  void error(const std::string& path, std::string message) { errors_.push_back({path, std::move(message)}); }
  void warn(const std::string& path, std::string message) { warnings_.push_back({path, std::move(message)}); }
  std::size_t error_count() const { return errors_.size(); }

  // A scalar as a string, with os.environ/NAME resolved. nullopt when absent or null.
  std::optional<std::string> string(const YAML::Node& map, const std::string& key, const std::string& path);
  std::optional<double> number(const YAML::Node& map, const std::string& key, const std::string& path);
  std::optional<long long> integer(const YAML::Node& map, const std::string& key, const std::string& path,
                                   long long min, long long max);
  std::optional<bool> boolean(const YAML::Node& map, const std::string& key, const std::string& path);
  std::optional<std::chrono::seconds> seconds(const YAML::Node& map, const std::string& key,
                                              const std::string& path);
  // One warning per key of `map` that is not in `known`.
  void warn_unknown(const YAML::Node& map, const std::string& path, const std::set<std::string>& known,
                    const std::string& message = "unknown key, ignored");

  std::vector<Problem> take_errors() { return std::move(errors_); }
  std::vector<Problem> take_warnings() { return std::move(warnings_); }

 private:
  EnvLookup env_;
  std::vector<Problem> errors_;
  std::vector<Problem> warnings_;
};

// A mapping key as text for messages. YAML allows any node as a key ("? [a, b] : 1"), and as<std::string>()
// throws for those: a collection key is shown as its YAML text.
std::string key_text(const YAML::Node& key);

inline std::string join(const std::string& a, const std::string& b) {
  return a.empty() ? b : a + "." + b;
}

// One model_list entry; nullopt when it is skipped (not a bedrock/ model) or unusable.
std::optional<Model> read_model(Reader& r, const YAML::Node& entry, const std::string& base,
                                bool global_drop_params);

}  // namespace batchgate::config
