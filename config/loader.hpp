#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace batchgate::config {

// One problem with the configuration, located by its YAML path ("model_list[2].litellm_params.s3_bucket_name").
struct Problem {
  std::string path;
  std::string message;
  std::string to_string() const { return path.empty() ? message : path + ": " + message; }
};

struct LoadResult {
  std::optional<Settings> settings;  // set only when errors is empty
  std::vector<Problem> errors;       // every error at once, so a user fixes them in one pass
  std::vector<Problem> warnings;     // unknown keys (the rest of a LiteLLM config) and skipped models
};

// Looks up an environment variable; injected so tests control the environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();

LoadResult load_from_string(const std::string& yaml, const EnvLookup& env);
// Blocks: reads the file.
LoadResult load_from_file_blocking(const std::string& path, const EnvLookup& env);

}  // namespace batchgate::config
