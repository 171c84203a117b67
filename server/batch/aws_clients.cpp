#include "server/batch/aws_clients.hpp"

#include "server/aws/credentials.hpp"
#include "server/batch/s3_object_store.hpp"

namespace batchgate::batch {

AwsClients::AwsClients(const config::Settings& settings, boost::asio::any_io_executor executor)
    : http_(std::make_unique<aws::HttpClient>(executor)) {
  for (const auto& m : settings.models) {
    aws::S3Config s3;
    if (!m.s3_endpoint_url.empty()) {
      s3.endpoint_url = m.s3_endpoint_url;
      s3.force_path_style = true;
    }
    s3.region = m.s3_region_name.empty() ? "us-east-1" : m.s3_region_name;
    // Bedrock signs with the model's aws_* credentials, else its s3_* keys, else the usual chain
    // (environment, web identity, profiles, container, IMDS), with AssumeRole on top when aws_role_name is
    // set; S3 with the s3_* keys when given, else the same provider (config::Model::bedrock_credentials,
    // s3_credentials).
    const std::string region = m.aws_region_name.empty() ? "us-east-1" : m.aws_region_name;
    aws::CredentialsProvider credentials =
        aws::make_credentials_provider(m.bedrock_credentials(), region, *http_);
    s3.credentials = m.s3_credentials() == m.bedrock_credentials()
                         ? credentials
                         : aws::make_credentials_provider(m.s3_credentials(), region, *http_);
    if (!m.s3_encryption_key_id.empty()) s3.kms_key_id = m.s3_encryption_key_id;
    aws::BedrockConfig bedrock;
    if (!m.aws_bedrock_endpoint.empty()) bedrock.endpoint_url = m.aws_bedrock_endpoint;
    bedrock.region = region;
    bedrock.credentials = credentials;
    // The runtime API has its own host; a stand-in given as aws_bedrock_endpoint serves both.
    aws::BedrockRuntimeConfig runtime;
    if (!m.aws_bedrock_runtime_endpoint.empty())
      runtime.endpoint_url = m.aws_bedrock_runtime_endpoint;
    else if (!m.aws_bedrock_endpoint.empty())
      runtime.endpoint_url = m.aws_bedrock_endpoint;
    runtime.region = region;
    runtime.credentials = credentials;
    Entry e;
    e.s3 = std::make_unique<aws::S3Client>(*http_, std::move(s3));
    e.objects = std::make_unique<S3ObjectStore>(*e.s3);
    e.bedrock = std::make_unique<aws::BedrockClient>(*http_, std::move(bedrock));
    e.runtime = std::make_unique<aws::BedrockRuntimeClient>(*http_, std::move(runtime));
    entries_.emplace(m.model_name, std::move(e));
  }
}

AwsClients::~AwsClients() = default;

}  // namespace batchgate::batch
