#pragma once
// The AWS clients each configured model talks to: one S3 client (as an ObjectStore), one Bedrock client and
// one Bedrock runtime client per model (models may differ in region, endpoint, credentials and KMS key), sharing one HTTP connection
// pool.

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <string>

#include "config/settings.hpp"
#include "server/aws/bedrock_client.hpp"
#include "server/aws/bedrock_runtime_client.hpp"
#include "server/aws/http_client.hpp"
#include "server/aws/s3_client.hpp"
#include "server/batch/object_store.hpp"

namespace batchgate::batch {

class AwsClients {
 public:
  AwsClients(const config::Settings& settings, boost::asio::any_io_executor executor);
  ~AwsClients();

  ObjectStore& objects(const config::Model& model) { return *entries_.at(model.model_name).objects; }
  aws::BedrockClient& bedrock(const config::Model& model) { return *entries_.at(model.model_name).bedrock; }
  aws::BedrockRuntimeClient& runtime(const config::Model& model) { return *entries_.at(model.model_name).runtime; }

 private:
  struct Entry {
    std::unique_ptr<aws::S3Client> s3;
    std::unique_ptr<ObjectStore> objects;
    std::unique_ptr<aws::BedrockClient> bedrock;
    std::unique_ptr<aws::BedrockRuntimeClient> runtime;
  };
  std::unique_ptr<aws::HttpClient> http_;
  std::map<std::string, Entry> entries_;
};

}  // namespace batchgate::batch
