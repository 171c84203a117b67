#include "config/loader.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/yaml_reader.hpp"

namespace batchgate::config {
namespace {

// Shorter master keys start with a warning (LiteLLM accepts them; its walkthrough uses sk-1234).
constexpr std::size_t kShortMasterKey = 8;

// environment_variables: NAME: value pairs that LiteLLM exports before it reads the rest of the config.
std::map<std::string, std::string> read_environment_variables(Reader& r, const YAML::Node& node) {
  std::map<std::string, std::string> vars;
  if (!node || node.IsNull()) return vars;
  if (!node.IsMap()) {
    r.error("environment_variables", "must be a mapping of NAME: value");
    return vars;
  }
  for (const auto& kv : node) {
    const std::string name = key_text(kv.first);
    const std::string path = "environment_variables." + name;
    if (!kv.first.IsScalar() || name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos)
      r.error(path, "is not a valid environment variable name");
    else if (!kv.second.IsScalar())
      r.error(path, "must be a string");
    else
      vars[name] = kv.second.Scalar();
  }
  return vars;
}

// The environment with `vars` in front: what os.environ/ references and environment fallbacks see.
EnvLookup overlay(std::map<std::string, std::string> vars, EnvLookup env) {
  if (vars.empty()) return env;
  return [vars = std::move(vars), env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    if (auto it = vars.find(std::string(name)); it != vars.end()) return it->second;
    return env(name);
  };
}

// litellm_settings: drop_params is honoured (the default of every model's drop_params) and json_logs
// (operational logs as JSON lines, as log_format: json); every other key is LiteLLM's alone and gets a
// warning naming it.
bool read_litellm_settings(Reader& r, const YAML::Node& node, ServerSettings& server) {
  if (!node || node.IsNull()) return false;
  if (!node.IsMap()) {
    r.error("litellm_settings", "must be a mapping");
    return false;
  }
  r.warn_unknown(node, "litellm_settings", {"drop_params", "json_logs"}, "not used by batchgate; ignored");
  if (r.boolean(node, "json_logs", "litellm_settings.json_logs").value_or(false)) server.log_format = "json";
  return r.boolean(node, "drop_params", "litellm_settings.drop_params").value_or(false);
}

void read_model_list(Reader& r, const YAML::Node& list, bool drop_params, Settings& settings) {
  if (!list || !list.IsSequence() || list.size() == 0) {
    r.error("model_list", "required: a list of models (see deploy/config.example.yaml)");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string base = "model_list[" + std::to_string(i) + "]";
    auto model = read_model(r, list[i], base, drop_params);
    if (!model) continue;
    if (const Model* prior = settings.find_model(model->model_name); prior && model->is_batch()) {
      r.error(base + ".model_name",
              "'" + model->model_name + "' is defined twice; batch model names must be unique");
      continue;
    }
    settings.models.push_back(std::move(*model));
  }
}

void read_general(Reader& r, const YAML::Node& node, GeneralSettings& g) {
  if (!node) {
    r.error("general_settings.master_key", "required: the admin key for /key/* routes");
    return;
  }
  r.warn_unknown(node, "general_settings", {"master_key", "database_path"});
  g.master_key = r.string(node, "master_key", "general_settings.master_key").value_or("");
  if (g.master_key.empty())
    r.error("general_settings.master_key", "required: the admin key for /key/* routes");
  else if (g.master_key.size() < kShortMasterKey)
    // LiteLLM accepts any sk-… key (its walkthrough uses sk-1234): start, but say what it risks.
    r.warn("general_settings.master_key",
           "only " + std::to_string(g.master_key.size()) +
               " characters: anyone who guesses it manages every key; use a long random sk-... value");
  if (auto db = r.string(node, "database_path", "general_settings.database_path")) g.database_path = *db;
  if (g.database_path.empty()) r.error("general_settings.database_path", "must not be empty");
}

void read_server(Reader& r, const YAML::Node& node, const std::string& base, ServerSettings& s) {
  if (!node) return;
  if (!node.IsMap()) {
    r.error(base, "must be a mapping");
    return;
  }
  r.warn_unknown(node, base,
                 {"host",
                  "port",
                  "worker_threads",
                  "blocking_threads",
                  "max_json_body_bytes",
                  "max_header_bytes",
                  "max_upload_bytes",
                  "max_upload_lines",
                  "read_timeout",
                  "idle_timeout",
                  "max_connections",
                  "max_upload_memory",
                  "max_uploads_per_key",
                  "shutdown_grace",
                  "poll_interval_min",
                  "poll_interval_max",
                  "poll_concurrency",
                  "expired_file_sweep",
                  "abandoned_upload_age",
                  "abandoned_upload_sweep",
                  "budget_reset_sweep",
                  "spool_dir",
                  "log_format"});
  auto p = [&](const char* k) { return base + "." + k; };
  if (auto v = r.string(node, "host", p("host"))) s.host = *v;
  if (auto v = r.string(node, "spool_dir", p("spool_dir"))) s.spool_dir = *v;
  if (auto v = r.string(node, "log_format", p("log_format"))) {
    if (*v == "text" || *v == "json")
      s.log_format = *v;
    else
      r.error(p("log_format"), "must be text or json");
  }
  if (auto v = r.integer(node, "port", p("port"), 0, 65535)) s.port = std::uint16_t(*v);
  if (auto v = r.integer(node, "worker_threads", p("worker_threads"), 1, 256)) s.worker_threads = int(*v);
  if (auto v = r.integer(node, "blocking_threads", p("blocking_threads"), 1, 256))
    s.blocking_threads = int(*v);
  if (auto v = r.integer(node, "max_json_body_bytes", p("max_json_body_bytes"), 1024, 1ll << 30))
    s.max_json_body_bytes = std::uint64_t(*v);
  if (auto v = r.integer(node, "max_header_bytes", p("max_header_bytes"), 1024, 1 << 20))
    s.max_header_bytes = std::uint64_t(*v);
  if (auto v = r.integer(node, "max_upload_bytes", p("max_upload_bytes"), 1024, 1ll << 40))
    s.max_upload_bytes = std::uint64_t(*v);
  if (auto v = r.integer(node, "max_upload_lines", p("max_upload_lines"), 1, 10000000))
    s.max_upload_lines = std::uint64_t(*v);
  if (auto v = r.seconds(node, "read_timeout", p("read_timeout"))) s.read_timeout = *v;
  if (auto v = r.seconds(node, "idle_timeout", p("idle_timeout"))) s.idle_timeout = *v;
  if (auto v = r.integer(node, "max_connections", p("max_connections"), 0, 1000000))
    s.max_connections = std::uint64_t(*v);
  if (auto v = r.integer(node, "max_upload_memory", p("max_upload_memory"), 0, 1ll << 40))
    s.max_upload_memory = std::uint64_t(*v);
  if (auto v = r.integer(node, "max_uploads_per_key", p("max_uploads_per_key"), 0, 100000))
    s.max_uploads_per_key = std::uint64_t(*v);
  if (auto v = r.seconds(node, "shutdown_grace", p("shutdown_grace"))) s.shutdown_grace = *v;
  if (auto v = r.seconds(node, "poll_interval_min", p("poll_interval_min"))) s.poll_interval_min = *v;
  if (auto v = r.seconds(node, "poll_interval_max", p("poll_interval_max"))) s.poll_interval_max = *v;
  if (auto v = r.integer(node, "poll_concurrency", p("poll_concurrency"), 1, 256))
    s.poll_concurrency = int(*v);
  if (auto v = r.seconds(node, "expired_file_sweep", p("expired_file_sweep"))) {
    if (v->count() < 1)
      r.error(p("expired_file_sweep"), "must be at least 1s");
    else
      s.expired_file_sweep = *v;
  }
  if (auto v = r.seconds(node, "abandoned_upload_age", p("abandoned_upload_age"))) s.abandoned_upload_age = *v;
  if (auto v = r.seconds(node, "abandoned_upload_sweep", p("abandoned_upload_sweep"))) {
    if (v->count() < 1)
      r.error(p("abandoned_upload_sweep"), "must be at least 1s");
    else
      s.abandoned_upload_sweep = *v;
  }
  if (auto v = r.seconds(node, "budget_reset_sweep", p("budget_reset_sweep"))) {
    if (v->count() < 1)
      r.error(p("budget_reset_sweep"), "must be at least 1s");
    else
      s.budget_reset_sweep = *v;
  }
  if (s.poll_interval_min > s.poll_interval_max)
    r.error(p("poll_interval_min"), "must not exceed poll_interval_max");
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

LoadResult load_from_string(const std::string& yaml, const EnvLookup& env) {
  LoadResult result;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    result.errors.push_back({"", "not valid YAML: " + std::string(e.what())});
    return result;
  }
  if (!root.IsMap()) {
    result.errors.push_back(
        {"", "the configuration must be a YAML mapping with model_list and general_settings"});
    return result;
  }
  Reader r(env);
  Settings settings;
  // One warning per block batchgate does not use (router_settings, callback_settings, …), naming it.
  r.warn_unknown(root, "",
                 {"model_list", "general_settings", "batchgate_settings", "server", "litellm_settings",
                  "environment_variables"},
                 "not used by batchgate; ignored");
  settings.environment_variables = read_environment_variables(r, root["environment_variables"]);
  r.set_env(overlay(settings.environment_variables, env));
  const bool drop_params = read_litellm_settings(r, root["litellm_settings"], settings.server);
  read_model_list(r, root["model_list"], drop_params, settings);
  read_general(r, root["general_settings"], settings.general);
  read_server(r, root["server"], "server", settings.server);
  read_server(r, root["batchgate_settings"], "batchgate_settings", settings.server);

  result.errors = r.take_errors();
  result.warnings = r.take_warnings();
  if (result.errors.empty()) result.settings = std::move(settings);
  return result;
}

LoadResult load_from_file_blocking(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back({"", "cannot read config file '" + path + "'"});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_from_string(buffer.str(), env);
}

}  // namespace batchgate::config
