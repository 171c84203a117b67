#include "config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/duration.hpp"

namespace batchgate::config {
namespace {

// Keys LiteLLM configs commonly carry that batchgate does not use: warned about, never fatal.
constexpr std::string_view kEnvPrefix = "os.environ/";

class Reader {
 public:
  explicit Reader(const EnvLookup& env) : env_(env) {}

  void error(const std::string& path, std::string message) { errors_.push_back({path, std::move(message)}); }
  void warn(const std::string& path, std::string message) { warnings_.push_back({path, std::move(message)}); }

  // A scalar as a string, with os.environ/NAME resolved. nullopt when absent or null.
  std::optional<std::string> string(const YAML::Node& map, const std::string& key, const std::string& path) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return std::nullopt;
    if (!n.IsScalar()) {
      error(path, "must be a string");
      return std::nullopt;
    }
    std::string value = n.Scalar();
    if (value.rfind(kEnvPrefix, 0) == 0) {
      std::string name = value.substr(kEnvPrefix.size());
      auto resolved = env_(name);
      if (!resolved) {
        error(path, "environment variable " + name + " is not set (referenced as os.environ/" + name + ")");
        return std::nullopt;
      }
      return resolved;
    }
    return value;
  }

  std::optional<double> number(const YAML::Node& map, const std::string& key, const std::string& path) {
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

  std::optional<long long> integer(const YAML::Node& map, const std::string& key, const std::string& path,
                                   long long min, long long max) {
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

  std::optional<bool> boolean(const YAML::Node& map, const std::string& key, const std::string& path) {
    auto s = string(map, key, path);
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "yes" || *s == "1") return true;
    if (*s == "false" || *s == "False" || *s == "no" || *s == "0") return false;
    error(path, "must be true or false, got '" + *s + "'");
    return std::nullopt;
  }

  std::optional<std::chrono::seconds> seconds(const YAML::Node& map, const std::string& key,
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

  void warn_unknown(const YAML::Node& map, const std::string& path, const std::set<std::string>& known) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!known.contains(key)) warn(path.empty() ? key : path + "." + key, "unknown key, ignored");
    }
  }

  std::vector<Problem> errors_;
  std::vector<Problem> warnings_;

 private:
  const EnvLookup& env_;
};

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

const std::regex kRoleArn(R"(arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+)");
const std::regex kBucket(R"([a-z0-9][-.a-z0-9]{1,61}[a-z0-9])");
// Bedrock restricts S3 URI key characters (spec/bedrock-batch.md §2).
const std::regex kPrefix(R"([-!_*'().a-zA-Z0-9]+(/[-!_*'().a-zA-Z0-9]+)*)");

std::string trim_slashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// "bucket/some/prefix" → {bucket, some/prefix}
void split_bucket(Reader& r, const std::string& value, const std::string& path, std::string& bucket,
                  std::string& prefix) {
  std::string v = value;
  if (v.rfind("s3://", 0) == 0) v = v.substr(5);
  auto slash = v.find('/');
  bucket = v.substr(0, slash);
  prefix = slash == std::string::npos ? "" : trim_slashes(v.substr(slash + 1));
  if (!std::regex_match(bucket, kBucket))
    r.error(path, "'" + bucket + "' is not a valid S3 bucket name (lowercase letters, digits, '.', '-', 3-63 chars)");
  if (!prefix.empty() && !std::regex_match(prefix, kPrefix))
    r.error(path, "prefix '" + prefix + "' has characters Bedrock rejects in S3 URIs; use A-Z a-z 0-9 - ! _ * ' ( ) . /");
}

const std::set<std::string> kLitellmParamKeys = {
    "model", "s3_bucket_name", "s3_region_name", "s3_endpoint_url", "s3_output_bucket_name",
    "s3_encryption_key_id", "aws_batch_role_arn", "aws_region_name", "aws_access_key_id",
    "aws_secret_access_key", "aws_session_token", "aws_profile_name", "aws_role_name", "aws_session_name",
    "aws_external_id", "aws_bedrock_endpoint", "max_tokens", "input_cost_per_token", "output_cost_per_token",
    "input_cost_per_token_batches", "output_cost_per_token_batches", "min_batch_records", "max_batch_records",
    "raw_output", "drop_params"};
const std::set<std::string> kModelInfoKeys = {
    "mode", "input_cost_per_token", "output_cost_per_token", "input_cost_per_token_batches",
    "output_cost_per_token_batches", "max_tokens", "min_batch_records", "max_batch_records", "raw_output",
    "id", "base_model", "description"};

// Reads a key from litellm_params first, then model_info (LiteLLM accepts pricing in either).
template <class F>
auto either(const YAML::Node& params, const YAML::Node& info, const std::string& key, const std::string& base, F f)
    -> decltype(f(params, key, std::string())) {
  if (params && params[key]) return f(params, key, join(base + ".litellm_params", key));
  if (info && info[key]) return f(info, key, join(base + ".model_info", key));
  return std::nullopt;
}

void read_pricing(Reader& r, const YAML::Node& params, const YAML::Node& info, const std::string& base,
                  Model& m) {
  auto num = [&](const YAML::Node& n, const std::string& k, const std::string& p) { return r.number(n, k, p); };
  auto in = either(params, info, "input_cost_per_token", base, num);
  auto out = either(params, info, "output_cost_per_token", base, num);
  auto in_b = either(params, info, "input_cost_per_token_batches", base, num);
  auto out_b = either(params, info, "output_cost_per_token_batches", base, num);
  m.pricing.input_cost_per_token = in.value_or(0);
  m.pricing.output_cost_per_token = out.value_or(0);
  m.pricing.input_cost_per_token_batches = in_b.value_or(m.pricing.input_cost_per_token / 2);
  m.pricing.output_cost_per_token_batches = out_b.value_or(m.pricing.output_cost_per_token / 2);
  for (double v : {m.pricing.input_cost_per_token, m.pricing.output_cost_per_token,
                   m.pricing.input_cost_per_token_batches, m.pricing.output_cost_per_token_batches})
    if (v < 0) r.error(base + ".model_info", "token prices must not be negative");
}

void read_limits(Reader& r, const YAML::Node& params, const YAML::Node& info, const std::string& base, Model& m) {
  auto integer = [&](long long lo, long long hi) {
    return [&r, lo, hi](const YAML::Node& n, const std::string& k, const std::string& p) {
      return r.integer(n, k, p, lo, hi);
    };
  };
  if (auto v = either(params, info, "max_tokens", base, integer(1, 1000000))) m.max_tokens = int(*v);
  if (auto v = either(params, info, "min_batch_records", base, integer(1, 50000))) m.min_batch_records = int(*v);
  if (auto v = either(params, info, "max_batch_records", base, integer(1, 1000000))) m.max_batch_records = int(*v);
  if (m.min_batch_records > m.max_batch_records)
    r.error(base + ".model_info.min_batch_records", "must not exceed max_batch_records");
  auto boolean = [&](const YAML::Node& n, const std::string& k, const std::string& p) { return r.boolean(n, k, p); };
  if (auto v = either(params, info, "raw_output", base, boolean)) m.raw_output = *v;
  if (auto v = either(params, info, "drop_params", base, boolean)) m.drop_params = *v;
}

}  // namespace
}  // namespace batchgate::config

namespace batchgate::config {
namespace {

std::optional<Model> read_model(Reader& r, const YAML::Node& entry, const std::string& base, const EnvLookup& env,
                                bool global_drop_params) {
  if (!entry.IsMap()) {
    r.error(base, "must be a mapping with model_name and litellm_params");
    return std::nullopt;
  }
  r.warn_unknown(entry, base, {"model_name", "litellm_params", "model_info"});
  Model m;
  m.drop_params = global_drop_params;
  auto name = r.string(entry, "model_name", base + ".model_name");
  if (!name || name->empty()) r.error(base + ".model_name", "required");
  m.model_name = name.value_or("");

  const YAML::Node params = entry["litellm_params"];
  const YAML::Node info = entry["model_info"];
  if (!params || !params.IsMap()) {
    r.error(base + ".litellm_params", "required: a mapping with at least 'model: bedrock/<modelId>'");
    return std::nullopt;
  }
  const std::string pbase = base + ".litellm_params";
  if (info && info.IsMap()) {
    if (auto mode = r.string(info, "mode", base + ".model_info.mode")) m.mode = *mode;
  }
  auto model = r.string(params, "model", pbase + ".model").value_or("");
  if (model.rfind("bedrock/", 0) != 0) {
    // Not a Bedrock model: part of a LiteLLM config batchgate does not serve.
    r.warn(pbase + ".model", "'" + model + "' is not a bedrock/ model; this entry is ignored");
    return std::nullopt;
  }
  r.warn_unknown(params, pbase, kLitellmParamKeys);
  if (info && info.IsMap()) r.warn_unknown(info, base + ".model_info", kModelInfoKeys);

  std::string id = model.substr(8);
  // LiteLLM routes "bedrock/invoke/<id>" and "bedrock/converse/<id>"; the model id is what follows.
  for (std::string_view route : {"invoke/", "converse/"})
    if (id.rfind(route, 0) == 0) id = id.substr(route.size());
  if (id.empty()) r.error(pbase + ".model", "must be bedrock/<modelId>, e.g. bedrock/anthropic.claude-3-haiku-20240307-v1:0");
  m.bedrock_model_id = id;

  auto str = [&](const char* key) { return r.string(params, key, pbase + "." + key).value_or(""); };
  auto with_env = [&](const char* key, std::initializer_list<const char*> vars) {
    std::string v = str(key);
    for (const char* var : vars) {
      if (!v.empty()) break;
      v = env(var).value_or("");
    }
    return v;
  };
  m.aws_region_name = with_env("aws_region_name", {"AWS_REGION", "AWS_DEFAULT_REGION"});
  m.aws_batch_role_arn = with_env("aws_batch_role_arn", {"AWS_BATCH_ROLE_ARN"});
  m.s3_encryption_key_id = with_env("s3_encryption_key_id", {"AWS_S3_ENCRYPTION_KEY_ID"});
  m.s3_region_name = str("s3_region_name");
  if (m.s3_region_name.empty()) m.s3_region_name = m.aws_region_name;
  m.s3_endpoint_url = str("s3_endpoint_url");
  m.aws_bedrock_endpoint = str("aws_bedrock_endpoint");
  const size_t errors_before_auth = r.errors_.size();
  m.auth = {str("aws_access_key_id"), str("aws_secret_access_key"), str("aws_session_token"),
            str("aws_profile_name"),  str("aws_role_name"),         str("aws_session_name"),
            str("aws_external_id")};
  if (r.errors_.size() == errors_before_auth && m.auth.access_key_id.empty() != m.auth.secret_access_key.empty())
    r.error(pbase + (m.auth.access_key_id.empty() ? ".aws_access_key_id" : ".aws_secret_access_key"),
            "aws_access_key_id and aws_secret_access_key must be given together");
  for (const char* key : {"s3_endpoint_url", "aws_bedrock_endpoint"}) {
    std::string v = str(key);
    if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
      r.error(pbase + "." + key, "must be an http:// or https:// URL, got '" + v + "'");
  }

  if (auto bucket = r.string(params, "s3_bucket_name", pbase + ".s3_bucket_name"); bucket && !bucket->empty())
    split_bucket(r, *bucket, pbase + ".s3_bucket_name", m.s3_bucket, m.s3_prefix);
  if (auto out = r.string(params, "s3_output_bucket_name", pbase + ".s3_output_bucket_name"); out && !out->empty())
    split_bucket(r, *out, pbase + ".s3_output_bucket_name", m.s3_output_bucket, m.s3_output_prefix);
  if (m.s3_output_bucket.empty()) {
    m.s3_output_bucket = m.s3_bucket;
    m.s3_output_prefix = m.s3_prefix;
  }

  read_pricing(r, params, info, base, m);
  read_limits(r, params, info, base, m);

  if (m.is_batch()) {
    if (m.s3_bucket.empty()) r.error(pbase + ".s3_bucket_name", "required for mode: batch");
    if (m.aws_batch_role_arn.empty())
      r.error(pbase + ".aws_batch_role_arn", "required for mode: batch (or set AWS_BATCH_ROLE_ARN)");
    else if (!std::regex_match(m.aws_batch_role_arn, kRoleArn))
      r.error(pbase + ".aws_batch_role_arn",
              "'" + m.aws_batch_role_arn + "' is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)");
    if (m.aws_region_name.empty())
      r.error(pbase + ".aws_region_name", "required for mode: batch (or set AWS_REGION)");
  } else if (!m.mode.empty() && m.mode != "chat" && m.mode != "embedding") {
    r.warn(base + ".model_info.mode", "mode '" + m.mode + "' is not served by batchgate; use mode: batch");
  }
  return m;
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
  else if (g.master_key.size() < 8)
    r.error("general_settings.master_key", "too short: use at least 8 characters (LiteLLM style: sk-...)");
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
                 {"host", "port", "worker_threads", "blocking_threads", "max_json_body_bytes", "max_header_bytes",
                  "max_upload_bytes", "max_upload_lines", "read_timeout", "idle_timeout", "shutdown_grace",
                  "poll_interval_min", "poll_interval_max", "poll_concurrency", "expired_file_sweep"});
  auto p = [&](const char* k) { return base + "." + k; };
  if (auto v = r.string(node, "host", p("host"))) s.host = *v;
  if (auto v = r.integer(node, "port", p("port"), 0, 65535)) s.port = std::uint16_t(*v);
  if (auto v = r.integer(node, "worker_threads", p("worker_threads"), 1, 256)) s.worker_threads = int(*v);
  if (auto v = r.integer(node, "blocking_threads", p("blocking_threads"), 1, 256)) s.blocking_threads = int(*v);
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
  if (auto v = r.seconds(node, "shutdown_grace", p("shutdown_grace"))) s.shutdown_grace = *v;
  if (auto v = r.seconds(node, "poll_interval_min", p("poll_interval_min"))) s.poll_interval_min = *v;
  if (auto v = r.seconds(node, "poll_interval_max", p("poll_interval_max"))) s.poll_interval_max = *v;
  if (auto v = r.integer(node, "poll_concurrency", p("poll_concurrency"), 1, 256)) s.poll_concurrency = int(*v);
  if (auto v = r.seconds(node, "expired_file_sweep", p("expired_file_sweep"))) {
    if (v->count() < 1)
      r.error(p("expired_file_sweep"), "must be at least 1s");
    else
      s.expired_file_sweep = *v;
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
    result.errors.push_back({"", "the configuration must be a YAML mapping with model_list and general_settings"});
    return result;
  }
  Reader r(env);
  Settings settings;
  r.warn_unknown(root, "",
                 {"model_list", "general_settings", "batchgate_settings", "server", "litellm_settings",
                  "router_settings", "environment_variables"});
  bool drop_params = false;
  if (const YAML::Node ls = root["litellm_settings"]; ls && ls.IsMap()) {
    r.warn_unknown(ls, "litellm_settings", {"drop_params"});
    drop_params = r.boolean(ls, "drop_params", "litellm_settings.drop_params").value_or(false);
  }
  const YAML::Node list = root["model_list"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    r.error("model_list", "required: a list of models (see deploy/config.example.yaml)");
  } else {
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string base = "model_list[" + std::to_string(i) + "]";
      auto model = read_model(r, list[i], base, env, drop_params);
      if (!model) continue;
      if (const Model* prior = settings.find_model(model->model_name); prior && model->is_batch()) {
        r.error(base + ".model_name", "'" + model->model_name + "' is defined twice; batch model names must be unique");
        continue;
      }
      settings.models.push_back(std::move(*model));
    }
  }
  read_general(r, root["general_settings"], settings.general);
  read_server(r, root["server"], "server", settings.server);
  read_server(r, root["batchgate_settings"], "batchgate_settings", settings.server);

  result.errors = std::move(r.errors_);
  result.warnings = std::move(r.warnings_);
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
