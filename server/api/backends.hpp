#pragma once
// The AWS clients each configured model talks to: one S3 client and one Bedrock client per model (models may
// differ in region, endpoint, credentials and KMS key), sharing one HTTP connection pool.

#include <boost/asio/any_io_executor.hpp>

#include <map>
#include <memory>
#include <string>

#include "config/settings.hpp"
#include "server/aws/bedrock_client.hpp"
#include "server/aws/http_client.hpp"
#include "server/aws/s3_client.hpp"

namespace batchgate::api {

class Backends {
 public:
  Backends(const config::Settings& settings, boost::asio::any_io_executor executor);

  aws::S3Client& s3(const config::Model& model) { return *entries_.at(model.model_name).s3; }
  aws::BedrockClient& bedrock(const config::Model& model) { return *entries_.at(model.model_name).bedrock; }
  aws::HttpClient& http() { return *http_; }

 private:
  struct Entry {
    std::unique_ptr<aws::S3Client> s3;
    std::unique_ptr<aws::BedrockClient> bedrock;
  };
  std::unique_ptr<aws::HttpClient> http_;
  std::map<std::string, Entry> entries_;
};

// "s3://bucket/key" for a bucket and key, and back.
std::string s3_uri(const std::string& bucket, const std::string& key);
bool parse_s3_uri(const std::string& uri, std::string& bucket, std::string& key);
// "prefix/rest" or "rest" when the prefix is empty.
std::string join_key(const std::string& prefix, const std::string& rest);

}  // namespace batchgate::api
