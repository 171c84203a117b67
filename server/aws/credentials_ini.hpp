#pragma once

// Shared AWS credentials/config files (spec/aws-sigv4-s3.md §4.2): INI parsing and turning a profile into a
// plan — where its base credentials come from and which roles are assumed on top. Pure: the caller reads
// the files (blocking I/O) and runs the plan.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/aws/credentials_documents.hpp"
#include "server/aws/sts_protocol.hpp"

namespace batchgate::aws {

using IniSection = std::map<std::string, std::string>;  // key (lowercase) → value
using IniFile = std::map<std::string, IniSection>;      // section name as written → keys

// Python-configparser-like reading, as botocore does: "[section]", "key = value" or "key: value",
// full-line comments starting with '#' or ';', keys lowercased, repeated sections merged. Indented lines
// (nested "s3 =" blocks) are skipped.
IniFile parse_ini(std::string_view text);

struct SharedFiles {
  IniFile credentials;           // ~/.aws/credentials: [name]
  IniFile config;                // ~/.aws/config: [default], [profile name]
  std::string credentials_path;  // for messages only
  std::string config_path;
};

// The keys of profile `name`: the config file's "[profile name]" (or "[default]") overlaid by the
// credentials file's "[name]" — the credentials file wins for the same key. nullopt when neither file has it.
std::optional<IniSection> profile_section(const SharedFiles& files, std::string_view name);

struct StaticKeysStep {
  Credentials credentials;
};
struct ProcessStep {
  std::string command;
};
struct WebIdentityStep {
  std::string role_arn;
  std::string role_session_name;
  std::string token_file;
};
// credential_source = Environment | Ec2InstanceMetadata | EcsContainer.
enum class CredentialSourceStep { kEnvironment, kEc2InstanceMetadata, kEcsContainer };

using BaseStep = std::variant<StaticKeysStep, ProcessStep, WebIdentityStep, CredentialSourceStep>;

struct ProfilePlan {
  std::string profile;
  BaseStep base;
  std::vector<AssumeRoleParams> roles;  // assumed in this order on top of `base`
};

// What a profile yields. `plan` is empty when the profile does not exist or holds no credential
// settings at all (then `skipped` says which); errors are misconfigurations worth reporting (half a key
// pair, role_arn without a source, a source_profile cycle or a missing source_profile).
struct ProfileResolution {
  std::optional<ProfilePlan> plan;
  std::string skipped;
};
CredentialsResult<ProfileResolution> resolve_profile(const SharedFiles& files, std::string_view name);

// "static keys", "credential_process", "web identity", "credential_source Environment", ...
std::string describe(const BaseStep& step);

}  // namespace batchgate::aws
