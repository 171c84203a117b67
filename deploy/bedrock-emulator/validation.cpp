#include "validation.hpp"

#include <charconv>
#include <regex>

namespace batchgate::bedrock_emulator {

namespace {

using nlohmann::json;

// Patterns copied from the service model (spec/bedrock-batch.md §2); std::regex_match anchors them.
const std::regex& job_name_re() {
  static const std::regex re(R"([a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63})");
  return re;
}
const std::regex& token_re() {
  static const std::regex re(R"([a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256})");
  return re;
}
const std::regex& role_arn_re() {
  static const std::regex re(R"(arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+)");
  return re;
}
const std::regex& model_id_re() {
  static const std::regex re(
      R"((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/[a-z0-9]{12}$)|(:foundation-model/([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)$)|([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+$)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+))");
  return re;
}
const std::regex& s3_uri_re() {
  static const std::regex re(
      R"(s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?)");
  return re;
}
const std::regex& account_re() {
  static const std::regex re(R"([0-9]{12})");
  return re;
}
const std::regex& kms_re() {
  static const std::regex re(
      R"((arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+))");
  return re;
}
const std::regex& vpc_id_re() {
  static const std::regex re(R"([-0-9a-zA-Z]+)");
  return re;
}
const std::regex& tag_re() {
  static const std::regex re(R"([a-zA-Z0-9\s._:/=+@-]*)");
  return re;
}
const std::regex& identifier_re() {
  static const std::regex re(
      R"(((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12}))");
  return re;
}

// Collects every violation so one response names them all, as AWS does.
class Violations {
 public:
  void add(std::string_view value, std::string_view field, std::string_view constraint) {
    items_.push_back("Value '" + std::string(value) + "' at '" + std::string(field) +
                     "' failed to satisfy constraint: " + std::string(constraint));
  }
  void add_raw(std::string text) { items_.push_back(std::move(text)); }
  bool empty() const { return items_.empty(); }
  ApiError error() const {
    std::string message =
        std::to_string(items_.size()) +
        (items_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (i > 0) message += "; ";
      message += items_[i];
    }
    return validation_error(std::move(message));
  }

 private:
  std::vector<std::string> items_;
};

void check_string(Violations& v, std::string_view value, std::string_view field, std::size_t min,
                  std::size_t max, const std::regex* pattern, std::string_view pattern_text) {
  if (value.size() < min) {
    v.add(value, field, "Member must have length greater than or equal to " + std::to_string(min));
    return;
  }
  if (value.size() > max) {
    v.add(value, field, "Member must have length less than or equal to " + std::to_string(max));
    return;
  }
  if (pattern != nullptr && !std::regex_match(value.begin(), value.end(), *pattern)) {
    v.add(value, field, "Member must satisfy regular expression pattern: " + std::string(pattern_text));
  }
}

// Reads an optional string member; a non-string is a serialization problem reported as a violation.
std::optional<std::string> string_member(Violations& v, const json& object, const char* name,
                                         std::string_view field) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    v.add_raw("Value at '" + std::string(field) + "' must be a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string required_string(Violations& v, const json& object, const char* name, std::string_view field) {
  auto value = string_member(v, object, name, field);
  if (value) return *value;
  if (!object.contains(name)) v.add("null", field, "Member must not be null");
  return {};
}

// Unions must have exactly one member set (spec §3); today the only member is the s3 one.
const json* union_member(Violations& v, const json& body, const char* name, const char* member,
                         std::string_view field) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    v.add("null", field, "Member must not be null");
    return nullptr;
  }
  if (!it->is_object()) {
    v.add_raw("Value at '" + std::string(field) + "' must be a structure");
    return nullptr;
  }
  std::size_t set = 0;
  for (const auto& [key, value] : it->items()) {
    if (!value.is_null()) ++set;
  }
  const auto m = it->find(member);
  if (set != 1 || m == it->end() || !m->is_object()) {
    v.add_raw("Value at '" + std::string(field) + "' must have exactly one member set (" + member + ")");
    return nullptr;
  }
  return &*m;
}

void parse_input_config(Violations& v, const json& body, CreateRequest& out) {
  const json* s3 = union_member(v, body, "inputDataConfig", "s3InputDataConfig", "inputDataConfig");
  if (s3 == nullptr) return;
  const std::string field = "inputDataConfig.s3InputDataConfig";
  out.input_s3_uri = required_string(v, *s3, "s3Uri", field + ".s3Uri");
  if (s3->contains("s3Uri")) {
    check_string(v, out.input_s3_uri, field + ".s3Uri", 1, 1024, &s3_uri_re(), "s3://...");
  }
  if (auto format = string_member(v, *s3, "s3InputFormat", field + ".s3InputFormat")) {
    if (*format != "JSONL")
      v.add(*format, field + ".s3InputFormat", "Member must satisfy enum value set: [JSONL]");
  }
  out.input_bucket_owner = string_member(v, *s3, "s3BucketOwner", field + ".s3BucketOwner");
  if (out.input_bucket_owner) {
    check_string(v, *out.input_bucket_owner, field + ".s3BucketOwner", 0, 1024, &account_re(), "[0-9]{12}");
  }
}

void parse_output_config(Violations& v, const json& body, CreateRequest& out) {
  const json* s3 = union_member(v, body, "outputDataConfig", "s3OutputDataConfig", "outputDataConfig");
  if (s3 == nullptr) return;
  const std::string field = "outputDataConfig.s3OutputDataConfig";
  out.output_s3_uri = required_string(v, *s3, "s3Uri", field + ".s3Uri");
  if (s3->contains("s3Uri")) {
    check_string(v, out.output_s3_uri, field + ".s3Uri", 1, 1024, &s3_uri_re(), "s3://...");
  }
  out.output_kms_key_id = string_member(v, *s3, "s3EncryptionKeyId", field + ".s3EncryptionKeyId");
  if (out.output_kms_key_id) {
    check_string(v, *out.output_kms_key_id, field + ".s3EncryptionKeyId", 1, 2048, &kms_re(), "KmsKeyId");
  }
  out.output_bucket_owner = string_member(v, *s3, "s3BucketOwner", field + ".s3BucketOwner");
  if (out.output_bucket_owner) {
    check_string(v, *out.output_bucket_owner, field + ".s3BucketOwner", 0, 1024, &account_re(), "[0-9]{12}");
  }
}

void check_id_list(Violations& v, const json& vpc, const char* name, std::size_t max_items) {
  const std::string field = std::string("vpcConfig.") + name;
  const auto it = vpc.find(name);
  if (it == vpc.end() || !it->is_array()) {
    v.add("null", field, "Member must not be null");
    return;
  }
  if (it->empty() || it->size() > max_items) {
    v.add(it->dump(), field, "Member must have length between 1 and " + std::to_string(max_items));
  }
  for (const auto& id : *it) {
    if (!id.is_string()) {
      v.add_raw("Value at '" + field + "' must be a list of strings");
      continue;
    }
    check_string(v, id.get<std::string>(), field + ".member", 0, 32, &vpc_id_re(), "[-0-9a-zA-Z]+");
  }
}

void parse_optional_members(Violations& v, const json& body, CreateRequest& out) {
  if (const auto it = body.find("vpcConfig"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) {
      v.add_raw("Value at 'vpcConfig' must be a structure");
    } else {
      check_id_list(v, *it, "subnetIds", 16);
      check_id_list(v, *it, "securityGroupIds", 5);
      out.vpc_config = *it;
    }
  }
  if (const auto it = body.find("timeoutDurationInHours"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      v.add_raw("Value at 'timeoutDurationInHours' must be an integer");
    } else {
      const auto hours = it->get<long long>();
      if (hours < 24)
        v.add(std::to_string(hours), "timeoutDurationInHours",
              "Member must have value greater than or equal to 24");
      else if (hours > 168)
        v.add(std::to_string(hours), "timeoutDurationInHours",
              "Member must have value less than or equal to 168");
      else
        out.timeout_hours = static_cast<int>(hours);
    }
  }
  if (const auto it = body.find("tags"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) {
      v.add_raw("Value at 'tags' must be a list");
    } else {
      if (it->size() > 200)
        v.add(std::to_string(it->size()), "tags", "Member must have length less than or equal to 200");
      for (std::size_t i = 0; i < it->size(); ++i) {
        const json& tag = (*it)[i];
        const std::string field = "tags." + std::to_string(i + 1);
        if (!tag.is_object()) {
          v.add_raw("Value at '" + field + "' must be a structure");
          continue;
        }
        Tag parsed{required_string(v, tag, "key", field + ".member.key"),
                   required_string(v, tag, "value", field + ".member.value")};
        if (tag.contains("key"))
          check_string(v, parsed.key, field + ".member.key", 1, 128, &tag_re(), "[a-zA-Z0-9\\s._:/=+@-]*");
        if (tag.contains("value"))
          check_string(v, parsed.value, field + ".member.value", 0, 256, &tag_re(),
                       "[a-zA-Z0-9\\s._:/=+@-]*");
        out.tags.push_back(std::move(parsed));
      }
    }
  }
  if (auto type = string_member(v, body, "modelInvocationType", "modelInvocationType")) {
    if (*type != "InvokeModel" && *type != "Converse") {
      v.add(*type, "modelInvocationType", "Member must satisfy enum value set: [InvokeModel, Converse]");
    } else {
      out.invocation_type = *type;
    }
  }
}

}  // namespace

bool is_valid_job_name(std::string_view name) {
  return !name.empty() && name.size() <= 63 && std::regex_match(name.begin(), name.end(), job_name_re());
}
bool is_valid_client_token(std::string_view token) {
  return !token.empty() && token.size() <= 256 && std::regex_match(token.begin(), token.end(), token_re());
}
bool is_valid_s3_uri(std::string_view uri) {
  return !uri.empty() && uri.size() <= 1024 && std::regex_match(uri.begin(), uri.end(), s3_uri_re());
}
bool is_valid_model_id(std::string_view model_id) {
  return !model_id.empty() && model_id.size() <= 2048 &&
         std::regex_match(model_id.begin(), model_id.end(), model_id_re());
}

Validated<CreateRequest> validate_create_request(std::string_view body_text) {
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return validation_error("The request body is not a valid JSON object.");
  }
  Violations v;
  CreateRequest out;
  out.job_name = required_string(v, body, "jobName", "jobName");
  if (body.contains("jobName")) {
    check_string(v, out.job_name, "jobName", 1, 63, &job_name_re(),
                 "[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}");
  }
  out.role_arn = required_string(v, body, "roleArn", "roleArn");
  if (body.contains("roleArn")) {
    check_string(v, out.role_arn, "roleArn", 0, 2048, &role_arn_re(),
                 "arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+");
  }
  out.client_request_token = string_member(v, body, "clientRequestToken", "clientRequestToken");
  if (out.client_request_token) {
    check_string(v, *out.client_request_token, "clientRequestToken", 1, 256, &token_re(),
                 "[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}");
  }
  out.model_id = required_string(v, body, "modelId", "modelId");
  if (body.contains("modelId")) check_string(v, out.model_id, "modelId", 1, 2048, &model_id_re(), "ModelId");
  parse_input_config(v, body, out);
  parse_output_config(v, body, out);
  parse_optional_members(v, body, out);
  if (!v.empty()) return v.error();
  return out;
}

namespace {

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

void apply_list_param(Violations& v, const std::string& name, const std::string& value, ListQuery& out) {
  if (name == "submitTimeAfter" || name == "submitTimeBefore") {
    const auto time = parse_iso8601(value);
    if (!time) v.add(value, name, "Member must be an ISO-8601 timestamp");
    (name == "submitTimeAfter" ? out.submit_time_after : out.submit_time_before) = time;
  } else if (name == "statusEquals") {
    out.status_equals = parse_job_status(value);
    if (!out.status_equals) {
      v.add(value, name,
            "Member must satisfy enum value set: [Submitted, InProgress, Completed, Failed, Stopping, "
            "Stopped, PartiallyCompleted, Expired, Validating, Scheduled]");
    }
  } else if (name == "nameContains") {
    check_string(v, value, name, 1, 63, &job_name_re(), "[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}");
    out.name_contains = value;
  } else if (name == "maxResults") {
    const auto n = parse_int(value);
    if (!n)
      v.add(value, name, "Member must be an integer");
    else if (*n < 1)
      v.add(value, name, "Member must have value greater than or equal to 1");
    else if (*n > 1000)
      v.add(value, name, "Member must have value less than or equal to 1000");
    else
      out.max_results = *n;
  } else if (name == "nextToken") {
    if (value.empty() || value.size() > 2048 || value.find_first_of(" \t\r\n") != std::string::npos) {
      v.add(value, name, "Member must satisfy regular expression pattern: \\S*");
    }
    out.next_token = value;
  } else if (name == "sortBy") {
    if (value != "CreationTime") v.add(value, name, "Member must satisfy enum value set: [CreationTime]");
  } else if (name == "sortOrder") {
    if (value == "Ascending")
      out.sort_order = SortOrder::kAscending;
    else if (value == "Descending")
      out.sort_order = SortOrder::kDescending;
    else
      v.add(value, name, "Member must satisfy enum value set: [Ascending, Descending]");
  }
}

}  // namespace

Validated<ListQuery> validate_list_query(const std::vector<std::pair<std::string, std::string>>& params) {
  Violations v;
  ListQuery out;
  for (const auto& [name, value] : params) apply_list_param(v, name, value, out);
  if (!v.empty()) return v.error();
  return out;
}

std::optional<std::string> parse_job_identifier(std::string_view identifier) {
  if (identifier.size() > 1011 || !std::regex_match(identifier.begin(), identifier.end(), identifier_re())) {
    return std::nullopt;
  }
  return std::string(identifier.substr(identifier.size() - 12));
}

}  // namespace batchgate::bedrock_emulator
