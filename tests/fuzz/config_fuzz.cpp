// The configuration loader (config/loader.hpp) on YAML text, with a fixed environment for os.environ/
// references and the AWS_* fallbacks. Input: the text of a config.yaml.
// Properties: problems are values, never exceptions; settings come back exactly when there are no errors;
// a loaded batch model has what a batch needs (name, bucket, role, region), and its record limits agree.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

std::optional<std::string> environment(std::string_view name) {
  if (name == "AWS_REGION") return "us-east-1";
  if (name == "AWS_BATCH_ROLE_ARN") return "arn:aws:iam::123456789012:role/BatchRole";
  if (name == "LITELLM_MASTER_KEY") return "sk-fuzz-master-key";
  if (name == "EMPTY") return "";
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(batchgate::fuzz::as_text(data, size));
  const auto result = batchgate::config::load_from_string(yaml, environment);
  FUZZ_CHECK(result.settings.has_value() == result.errors.empty());
  for (const auto& problem : result.errors) FUZZ_CHECK(!problem.message.empty());
  if (!result.settings) return 0;
  FUZZ_CHECK(!result.settings->general.master_key.empty());
  for (const auto& model : result.settings->models) {
    FUZZ_CHECK(!model.model_name.empty() && !model.bedrock_model_id.empty());
    FUZZ_CHECK(model.min_batch_records <= model.max_batch_records);
    if (!model.is_batch()) continue;
    FUZZ_CHECK(!model.s3_bucket.empty() && !model.aws_batch_role_arn.empty() &&
               !model.aws_region_name.empty());
  }
  return 0;
}
