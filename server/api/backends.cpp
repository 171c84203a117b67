#include "server/api/backends.hpp"

#include "server/aws/credentials.hpp"

namespace batchgate::api {

Backends::Backends(const config::Settings& settings, boost::asio::any_io_executor executor)
    : http_(std::make_unique<aws::HttpClient>(executor)) {
  for (const auto& m : settings.models) {
    aws::S3Config s3;
    if (!m.s3_endpoint_url.empty()) {
      s3.endpoint_url = m.s3_endpoint_url;
      s3.force_path_style = true;
    }
    s3.region = m.s3_region_name.empty() ? "us-east-1" : m.s3_region_name;
    // One provider per model, shared by S3 and Bedrock: explicit keys, then the usual chain (environment,
    // web identity, profiles, container, IMDS), then AssumeRole when aws_role_name is set.
    const std::string region = m.aws_region_name.empty() ? "us-east-1" : m.aws_region_name;
    aws::CredentialsProvider credentials = aws::make_credentials_provider(m.auth, region, *http_);
    s3.credentials = credentials;
    if (!m.s3_encryption_key_id.empty()) s3.kms_key_id = m.s3_encryption_key_id;
    aws::BedrockConfig bedrock;
    if (!m.aws_bedrock_endpoint.empty()) bedrock.endpoint_url = m.aws_bedrock_endpoint;
    bedrock.region = m.aws_region_name.empty() ? "us-east-1" : m.aws_region_name;
    bedrock.credentials = credentials;
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
