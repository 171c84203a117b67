#include "server/api/backends.hpp"

#include <cstdlib>

namespace batchgate::api {

aws::CredentialsProvider credentials_for(const config::Model& model) {
  if (!model.auth.access_key_id.empty()) {
    aws::Credentials c{model.auth.access_key_id, model.auth.secret_access_key, std::nullopt};
    if (!model.auth.session_token.empty()) c.session_token = model.auth.session_token;
    return aws::static_credentials(std::move(c));
  }
  return aws::credentials_from([] {
    auto env = [](const char* name) -> std::string {
      const char* v = std::getenv(name);
      return v ? v : "";
    };
    aws::Credentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), std::nullopt};
    if (auto token = env("AWS_SESSION_TOKEN"); !token.empty()) c.session_token = token;
    return c;
  });
}

Backends::Backends(const config::Settings& settings, boost::asio::any_io_executor executor)
    : http_(std::make_unique<aws::HttpClient>(executor)) {
  for (const auto& m : settings.models) {
    aws::S3Config s3;
    if (!m.s3_endpoint_url.empty()) {
      s3.endpoint_url = m.s3_endpoint_url;
      s3.force_path_style = true;
    }
    s3.region = m.s3_region_name.empty() ? "us-east-1" : m.s3_region_name;
    s3.credentials = credentials_for(m);
    if (!m.s3_encryption_key_id.empty()) s3.kms_key_id = m.s3_encryption_key_id;
    aws::BedrockConfig bedrock;
    if (!m.aws_bedrock_endpoint.empty()) bedrock.endpoint_url = m.aws_bedrock_endpoint;
    bedrock.region = m.aws_region_name.empty() ? "us-east-1" : m.aws_region_name;
    bedrock.credentials = credentials_for(m);
    Entry e;
    e.s3 = std::make_unique<aws::S3Client>(*http_, std::move(s3));
    e.bedrock = std::make_unique<aws::BedrockClient>(*http_, std::move(bedrock));
    entries_.emplace(m.model_name, std::move(e));
  }
}

std::string s3_uri(const std::string& bucket, const std::string& key) { return "s3://" + bucket + "/" + key; }

bool parse_s3_uri(const std::string& uri, std::string& bucket, std::string& key) {
  if (uri.rfind("s3://", 0) != 0) return false;
  auto slash = uri.find('/', 5);
  if (slash == std::string::npos) return false;
  bucket = uri.substr(5, slash - 5);
  key = uri.substr(slash + 1);
  return !bucket.empty() && !key.empty();
}

std::string join_key(const std::string& prefix, const std::string& rest) {
  return prefix.empty() ? rest : prefix + "/" + rest;
}

}  // namespace batchgate::api
