// One model_list entry of a LiteLLM config (litellm_params and model_info), read into a Model.
#include <regex>
#include <set>

#include "config/yaml_reader.hpp"

namespace batchgate::config {
namespace {

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
    r.error(path, "'" + bucket +
                      "' is not a valid S3 bucket name (lowercase letters, digits, '.', '-', 3-63 chars)");
  if (!prefix.empty() && !std::regex_match(prefix, kPrefix))
    r.error(path, "prefix '" + prefix +
                      "' has characters Bedrock rejects in S3 URIs; use A-Z a-z 0-9 - ! _ * ' ( ) . /");
}

const std::set<std::string> kLitellmParamKeys = {"model",
                                                 "s3_bucket_name",
                                                 "s3_region_name",
                                                 "s3_endpoint_url",
                                                 "s3_output_bucket_name",
                                                 "s3_encryption_key_id",
                                                 "s3_access_key_id",
                                                 "s3_secret_access_key",
                                                 "s3_session_token",
                                                 "aws_batch_role_arn",
                                                 "aws_region_name",
                                                 "aws_access_key_id",
                                                 "aws_secret_access_key",
                                                 "aws_session_token",
                                                 "aws_profile_name",
                                                 "aws_role_name",
                                                 "aws_session_name",
                                                 "aws_external_id",
                                                 "aws_bedrock_endpoint",
                                                 "aws_bedrock_runtime_endpoint",
                                                 "max_tokens",
                                                 "input_cost_per_token",
                                                 "output_cost_per_token",
                                                 "input_cost_per_token_batches",
                                                 "output_cost_per_token_batches",
                                                 "min_batch_records",
                                                 "max_batch_records",
                                                 "raw_output",
                                                 "drop_params",
                                                 "max_output_tokens",
                                                 "exclusive_params",
                                                 "required_params",
                                                 "on_demand_fallback",
                                                 "on_demand_concurrency",
                                                 "max_concurrent_jobs"};
const std::set<std::string> kModelInfoKeys = {"mode",
                                              "input_cost_per_token",
                                              "output_cost_per_token",
                                              "input_cost_per_token_batches",
                                              "output_cost_per_token_batches",
                                              "max_tokens",
                                              "min_batch_records",
                                              "max_batch_records",
                                              "raw_output",
                                              "on_demand_fallback",
                                              "on_demand_concurrency",
                                              "max_concurrent_jobs",
                                              "max_output_tokens",
                                              "exclusive_params",
                                              "required_params",
                                              "id",
                                              "base_model",
                                              "description"};

// Reads a key from litellm_params first, then model_info (LiteLLM accepts pricing in either).
template <class F>
auto either(const YAML::Node& params, const YAML::Node& info, const std::string& key, const std::string& base,
            F f) -> decltype(f(params, key, std::string())) {
  // model_info may be any YAML value; only a mapping can hold the key (yaml-cpp throws on a scalar's [key]).
  if (params && params[key]) return f(params, key, join(base + ".litellm_params", key));
  if (info && info.IsMap() && info[key]) return f(info, key, join(base + ".model_info", key));
  return std::nullopt;
}

void read_pricing(Reader& r, const YAML::Node& params, const YAML::Node& info, const std::string& base,
                  Model& m) {
  auto num = [&](const YAML::Node& n, const std::string& k, const std::string& p) {
    return r.number(n, k, p);
  };
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

void read_limits(Reader& r, const YAML::Node& params, const YAML::Node& info, const std::string& base,
                 Model& m) {
  auto integer = [&](long long lo, long long hi) {
    return [&r, lo, hi](const YAML::Node& n, const std::string& k, const std::string& p) {
      return r.integer(n, k, p, lo, hi);
    };
  };
  if (auto v = either(params, info, "max_tokens", base, integer(1, 1000000))) m.max_tokens = int(*v);
  if (auto v = either(params, info, "min_batch_records", base, integer(1, 50000)))
    m.min_batch_records = int(*v);
  if (auto v = either(params, info, "max_batch_records", base, integer(1, 1000000)))
    m.max_batch_records = int(*v);
  if (m.min_batch_records > m.max_batch_records)
    r.error(base + ".model_info.min_batch_records", "must not exceed max_batch_records");
  auto boolean = [&](const YAML::Node& n, const std::string& k, const std::string& p) {
    return r.boolean(n, k, p);
  };
  if (auto v = either(params, info, "raw_output", base, boolean)) m.raw_output = *v;
  if (auto v = either(params, info, "drop_params", base, boolean)) m.drop_params = *v;
  if (auto v = either(params, info, "on_demand_fallback", base, boolean)) m.on_demand_fallback = *v;
  if (auto v = either(params, info, "on_demand_concurrency", base, integer(1, 256)))
    m.on_demand_concurrency = int(*v);
  if (auto v = either(params, info, "max_concurrent_jobs", base, integer(1, 100000)))
    m.max_concurrent_jobs = int(*v);
  if (auto v = either(params, info, "max_output_tokens", base, integer(1, 1000000)))
    m.max_output_tokens = int(*v);
}

// A list of strings (exclusive_params, required_params); `allowed` checks each item when given.
std::optional<std::vector<std::string>> string_list(Reader& r, const YAML::Node& map, const std::string& key,
                                                    const std::string& path,
                                                    bool (*allowed)(const std::string&) = nullptr) {
  const YAML::Node node = map[key];
  if (!node.IsSequence()) {
    r.error(path, "must be a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> items;
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) {
      r.error(path + "[" + std::to_string(i) + "]", "must be a string");
      continue;
    }
    items.push_back(node[i].as<std::string>());
    if (allowed && !allowed(items.back()))
      r.error(path + "[" + std::to_string(i) + "]",
              "'" + items.back() + "' is not one of temperature, top_p");
  }
  return items;
}

void read_rules(Reader& r, const YAML::Node& params, const YAML::Node& info, const std::string& base,
                Model& m) {
  auto sampling = [](const std::string& name) { return name == "temperature" || name == "top_p"; };
  auto exclusive = [&](const YAML::Node& n, const std::string& k, const std::string& p) {
    return string_list(r, n, k, p, sampling);
  };
  auto required = [&](const YAML::Node& n, const std::string& k, const std::string& p) {
    return string_list(r, n, k, p);
  };
  if (auto v = either(params, info, "exclusive_params", base, exclusive)) m.exclusive_params = std::move(*v);
  if (auto v = either(params, info, "required_params", base, required)) m.required_params = std::move(*v);
}

// The model's name and Bedrock model id; false when the entry is not a Bedrock model (skipped with a
// warning).
bool read_identity(Reader& r, const YAML::Node& entry, const std::string& base, Model& m) {
  auto name = r.string(entry, "model_name", base + ".model_name");
  if (!name || name->empty()) r.error(base + ".model_name", "required");
  m.model_name = name.value_or("");
  const YAML::Node params = entry["litellm_params"];
  const YAML::Node info = entry["model_info"];
  const std::string pbase = base + ".litellm_params";
  if (info && info.IsMap()) {
    if (auto mode = r.string(info, "mode", base + ".model_info.mode")) m.mode = *mode;
  }
  auto model = r.string(params, "model", pbase + ".model").value_or("");
  if (model.rfind("bedrock/", 0) != 0) {
    // Not a Bedrock model: part of a LiteLLM config batchgate does not serve.
    r.warn(pbase + ".model", "'" + model + "' is not a bedrock/ model; this entry is ignored");
    return false;
  }
  r.warn_unknown(params, pbase, kLitellmParamKeys);
  if (info && info.IsMap()) r.warn_unknown(info, base + ".model_info", kModelInfoKeys);

  std::string id = model.substr(8);
  // LiteLLM routes "bedrock/invoke/<id>" and "bedrock/converse/<id>"; the model id is what follows.
  for (std::string_view route : {"invoke/", "converse/"})
    if (id.rfind(route, 0) == 0) id = id.substr(route.size());
  if (id.empty())
    r.error(pbase + ".model",
            "must be bedrock/<modelId>, e.g. bedrock/anthropic.claude-3-haiku-20240307-v1:0");
  m.bedrock_model_id = id;
  return true;
}

// The value of the first of `vars` that is set and not empty.
std::string first_set(const Reader& r, std::initializer_list<const char*> vars) {
  for (const char* var : vars)
    if (auto v = r.env()(var); v && !v->empty()) return *v;
  return {};
}

// A litellm_params value, else the first of the environment variables that is set.
std::string with_env(Reader& r, const YAML::Node& params, const std::string& pbase, const char* key,
                     std::initializer_list<const char*> vars) {
  std::string v = r.string(params, key, join(pbase, key)).value_or("");
  return v.empty() ? first_set(r, vars) : v;
}

// Regions, buckets and endpoints.
void read_locations(Reader& r, const YAML::Node& params, const std::string& pbase, Model& m) {
  auto str = [&](const char* key) { return r.string(params, key, join(pbase, key)).value_or(""); };
  m.s3_region_name = str("s3_region_name");
  // Bedrock reads a job's input from a bucket in its own Region, so the bucket's Region is the next best
  // answer (LiteLLM's walkthrough gives only s3_region_name); then LiteLLM's and AWS's variables.
  m.aws_region_name = str("aws_region_name");
  if (m.aws_region_name.empty()) m.aws_region_name = m.s3_region_name;
  if (m.aws_region_name.empty())
    m.aws_region_name = first_set(r, {"AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"});
  if (m.s3_region_name.empty()) m.s3_region_name = m.aws_region_name;
  m.aws_batch_role_arn = with_env(r, params, pbase, "aws_batch_role_arn", {"AWS_BATCH_ROLE_ARN"});
  m.s3_encryption_key_id = with_env(r, params, pbase, "s3_encryption_key_id", {"AWS_S3_ENCRYPTION_KEY_ID"});
  m.s3_endpoint_url = str("s3_endpoint_url");
  m.aws_bedrock_endpoint = str("aws_bedrock_endpoint");
  m.aws_bedrock_runtime_endpoint = str("aws_bedrock_runtime_endpoint");
  for (const char* key : {"s3_endpoint_url", "aws_bedrock_endpoint", "aws_bedrock_runtime_endpoint"}) {
    std::string v = str(key);
    if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
      r.error(join(pbase, key), "must be an http:// or https:// URL, got '" + v + "'");
  }
  if (auto bucket = r.string(params, "s3_bucket_name", pbase + ".s3_bucket_name"); bucket && !bucket->empty())
    split_bucket(r, *bucket, pbase + ".s3_bucket_name", m.s3_bucket, m.s3_prefix);
  if (auto out = r.string(params, "s3_output_bucket_name", pbase + ".s3_output_bucket_name");
      out && !out->empty())
    split_bucket(r, *out, pbase + ".s3_output_bucket_name", m.s3_output_bucket, m.s3_output_prefix);
  if (m.s3_output_bucket.empty()) {
    m.s3_output_bucket = m.s3_bucket;
    m.s3_output_prefix = m.s3_prefix;
  }
}

// aws_* credentials (Bedrock, and S3 unless s3_* keys are given) and LiteLLM's s3_* keys (S3 only).
void read_credentials(Reader& r, const YAML::Node& params, const std::string& pbase, Model& m) {
  auto str = [&](const char* key) { return r.string(params, key, join(pbase, key)).value_or(""); };
  const size_t errors_before = r.error_count();
  m.auth = {str("aws_access_key_id"), str("aws_secret_access_key"), str("aws_session_token"),
            str("aws_profile_name"),  str("aws_role_name"),         str("aws_session_name"),
            str("aws_external_id")};
  m.s3_keys = {str("s3_access_key_id"), str("s3_secret_access_key"), str("s3_session_token"), {}, {}, {}, {}};
  if (r.error_count() != errors_before) return;
  for (auto [keys, prefix] : {std::pair{&m.auth, "aws"}, std::pair{&m.s3_keys, "s3"}}) {
    const std::string id = std::string(prefix) + "_access_key_id";
    const std::string secret = std::string(prefix) + "_secret_access_key";
    if (keys->access_key_id.empty() != keys->secret_access_key.empty())
      r.error(join(pbase, keys->access_key_id.empty() ? id : secret),
              id + " and " + secret + " must be given together");
    else if (keys->access_key_id.empty() && !keys->session_token.empty())
      r.error(join(pbase, std::string(prefix) + "_session_token"), "needs " + id + " and " + secret);
  }
}

void check_batch_model(Reader& r, const std::string& base, const Model& m) {
  const std::string pbase = base + ".litellm_params";
  if (!m.is_batch()) {
    if (!m.mode.empty() && m.mode != "chat" && m.mode != "embedding")
      r.warn(base + ".model_info.mode", "mode '" + m.mode + "' is not served by batchgate; use mode: batch");
    return;
  }
  if (m.s3_bucket.empty()) r.error(pbase + ".s3_bucket_name", "required for mode: batch");
  if (m.aws_batch_role_arn.empty())
    r.error(pbase + ".aws_batch_role_arn", "required for mode: batch (or set AWS_BATCH_ROLE_ARN)");
  else if (!std::regex_match(m.aws_batch_role_arn, kRoleArn))
    r.error(pbase + ".aws_batch_role_arn",
            "'" + m.aws_batch_role_arn + "' is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)");
  if (m.aws_region_name.empty())
    r.error(pbase + ".aws_region_name", "required for mode: batch (or s3_region_name, or set AWS_REGION)");
}

}  // namespace

std::optional<Model> read_model(Reader& r, const YAML::Node& entry, const std::string& base,
                                bool global_drop_params) {
  if (!entry.IsMap()) {
    r.error(base, "must be a mapping with model_name and litellm_params");
    return std::nullopt;
  }
  r.warn_unknown(entry, base, {"model_name", "litellm_params", "model_info"});
  const YAML::Node params = entry["litellm_params"];
  const YAML::Node info = entry["model_info"];
  if (!params || !params.IsMap()) {
    r.error(base + ".litellm_params", "required: a mapping with at least 'model: bedrock/<modelId>'");
    return std::nullopt;
  }
  if (info && !info.IsNull() && !info.IsMap())
    r.error(base + ".model_info", "must be a mapping, e.g. {mode: batch}");
  Model m;
  m.drop_params = global_drop_params;
  if (!read_identity(r, entry, base, m)) return std::nullopt;
  const std::string pbase = base + ".litellm_params";
  read_locations(r, params, pbase, m);
  read_credentials(r, params, pbase, m);
  read_pricing(r, params, info, base, m);
  read_limits(r, params, info, base, m);
  read_rules(r, params, info, base, m);
  check_batch_model(r, base, m);
  return m;
}

}  // namespace batchgate::config
