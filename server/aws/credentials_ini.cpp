#include "server/aws/credentials_ini.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace batchgate::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string value_of(const IniSection& section, const char* key) {
  auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

bool has(const IniSection& section, const char* key) {
  return !value_of(section, key).empty();
}

std::string quoted(std::string_view name) {
  return "\"" + std::string(name) + "\"";
}

CredentialsResult<AssumeRoleParams> role_params(const IniSection& section, std::string_view profile) {
  AssumeRoleParams params;
  params.role_arn = value_of(section, "role_arn");
  if (has(section, "role_session_name")) params.role_session_name = value_of(section, "role_session_name");
  if (has(section, "external_id")) params.external_id = value_of(section, "external_id");
  if (has(section, "duration_seconds")) {
    std::string text = value_of(section, "duration_seconds");
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return credentials_error("profile " + quoted(profile) + ": duration_seconds is not a number");
    }
    params.duration_seconds = value;
  }
  return params;
}

CredentialsResult<std::optional<StaticKeysStep>> static_keys(const IniSection& section,
                                                             std::string_view profile) {
  const bool id = has(section, "aws_access_key_id");
  const bool secret = has(section, "aws_secret_access_key");
  if (!id && !secret) return std::optional<StaticKeysStep>{};
  if (!id || !secret) {
    return credentials_error("profile " + quoted(profile) + " has " +
                             (id ? "aws_access_key_id but no aws_secret_access_key"
                                 : "aws_secret_access_key but no aws_access_key_id"));
  }
  StaticKeysStep step;
  step.credentials.access_key_id = value_of(section, "aws_access_key_id");
  step.credentials.secret_access_key = value_of(section, "aws_secret_access_key");
  if (has(section, "aws_session_token"))
    step.credentials.session_token = value_of(section, "aws_session_token");
  return std::optional<StaticKeysStep>(std::move(step));
}

CredentialsResult<std::optional<ProfilePlan>> resolve_in(const SharedFiles& files, const std::string& name,
                                                         const IniSection& section,
                                                         std::vector<std::string> visited);

// role_arn + source_profile: the source profile's plan with this role appended (spec §4.2).
CredentialsResult<std::optional<ProfilePlan>> resolve_source_profile(const SharedFiles& files,
                                                                     const std::string& name,
                                                                     const IniSection& section,
                                                                     AssumeRoleParams role,
                                                                     std::vector<std::string> visited) {
  std::string source = value_of(section, "source_profile");
  if (source == name) {
    // A profile naming itself uses its own static keys to assume its role.
    auto keys = static_keys(section, name);
    if (!keys) return keys.error();
    if (!*keys)
      return credentials_error("profile " + quoted(name) + " is its own source_profile but has no keys");
    return std::optional<ProfilePlan>(ProfilePlan{name, std::move(**keys), {std::move(role)}});
  }
  if (std::find(visited.begin(), visited.end(), source) != visited.end()) {
    return credentials_error("profile " + quoted(name) + ": source_profile cycle through " + quoted(source));
  }
  auto source_section = profile_section(files, source);
  if (!source_section) {
    return credentials_error("profile " + quoted(name) + ": source_profile " + quoted(source) + " not found");
  }
  auto sub = resolve_in(files, source, *source_section, std::move(visited));
  if (!sub) return sub.error();
  if (!*sub) {
    return credentials_error("profile " + quoted(name) + ": source_profile " + quoted(source) +
                             " has no credentials");
  }
  ProfilePlan plan = std::move(**sub);
  plan.profile = name;
  plan.roles.push_back(std::move(role));
  return std::optional<ProfilePlan>(std::move(plan));
}

CredentialsResult<std::optional<ProfilePlan>> resolve_role(const SharedFiles& files, const std::string& name,
                                                           const IniSection& section,
                                                           std::vector<std::string> visited) {
  auto role = role_params(section, name);
  if (!role) return role.error();
  if (has(section, "source_profile")) {
    return resolve_source_profile(files, name, section, std::move(*role), std::move(visited));
  }
  if (has(section, "credential_source")) {
    std::string source = value_of(section, "credential_source");
    CredentialSourceStep step;
    if (source == "Environment") {
      step = CredentialSourceStep::kEnvironment;
    } else if (source == "Ec2InstanceMetadata") {
      step = CredentialSourceStep::kEc2InstanceMetadata;
    } else if (source == "EcsContainer") {
      step = CredentialSourceStep::kEcsContainer;
    } else {
      return credentials_error("profile " + quoted(name) + ": credential_source " + quoted(source) +
                               " is not Environment, Ec2InstanceMetadata or EcsContainer");
    }
    return std::optional<ProfilePlan>(ProfilePlan{name, step, {std::move(*role)}});
  }
  if (has(section, "web_identity_token_file")) {
    WebIdentityStep step{role->role_arn, role->role_session_name,
                         value_of(section, "web_identity_token_file")};
    return std::optional<ProfilePlan>(ProfilePlan{name, std::move(step), {}});
  }
  return credentials_error(
      "profile " + quoted(name) +
      " has role_arn but no source_profile, credential_source or web_identity_token_file");
}

CredentialsResult<std::optional<ProfilePlan>> resolve_in(const SharedFiles& files, const std::string& name,
                                                         const IniSection& section,
                                                         std::vector<std::string> visited) {
  visited.push_back(name);
  if (has(section, "role_arn")) return resolve_role(files, name, section, std::move(visited));
  if (has(section, "web_identity_token_file")) {
    return credentials_error("profile " + quoted(name) + " has web_identity_token_file but no role_arn");
  }
  auto keys = static_keys(section, name);
  if (!keys) return keys.error();
  if (*keys) return std::optional<ProfilePlan>(ProfilePlan{name, std::move(**keys), {}});
  if (has(section, "credential_process")) {
    return std::optional<ProfilePlan>(
        ProfilePlan{name, ProcessStep{value_of(section, "credential_process")}, {}});
  }
  return std::optional<ProfilePlan>{};
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  IniFile file;
  IniSection* current = nullptr;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = &file[std::string(trim(line.substr(1, line.size() - 2)))];
      continue;
    }
    if (current == nullptr || indented) continue;
    std::size_t separator = line.find_first_of("=:");
    if (separator == std::string_view::npos) continue;
    (*current)[lowercase(trim(line.substr(0, separator)))] = std::string(trim(line.substr(separator + 1)));
  }
  return file;
}

std::optional<IniSection> profile_section(const SharedFiles& files, std::string_view name) {
  std::optional<IniSection> out;
  // Config file sections are "[profile name]"; botocore also accepts a bare "[default]" there.
  for (const auto& [section, keys] : files.config) {
    std::string_view title = section;
    if (title.starts_with("profile ") || title.starts_with("profile\t")) {
      title = trim(title.substr(8));
    } else if (title != "default") {
      continue;
    }
    if (title != name) continue;
    if (!out) out.emplace();
    for (const auto& [key, value] : keys) (*out)[key] = value;
  }
  if (auto it = files.credentials.find(std::string(name)); it != files.credentials.end()) {
    if (!out) out.emplace();
    for (const auto& [key, value] : it->second) (*out)[key] = value;
  }
  return out;
}

CredentialsResult<ProfileResolution> resolve_profile(const SharedFiles& files, std::string_view name) {
  auto section = profile_section(files, name);
  if (!section) {
    return ProfileResolution{std::nullopt, "profile " + quoted(name) + " not found in " +
                                               files.credentials_path + " or " + files.config_path};
  }
  auto plan = resolve_in(files, std::string(name), *section, {});
  if (!plan) return plan.error();
  if (!*plan) return ProfileResolution{std::nullopt, "profile " + quoted(name) + " holds no credentials"};
  return ProfileResolution{std::move(*plan), {}};
}

std::string describe(const BaseStep& step) {
  if (std::holds_alternative<StaticKeysStep>(step)) return "static keys";
  if (std::holds_alternative<ProcessStep>(step)) return "credential_process";
  if (std::holds_alternative<WebIdentityStep>(step)) return "web identity";
  switch (std::get<CredentialSourceStep>(step)) {
    case CredentialSourceStep::kEnvironment:
      return "credential_source Environment";
    case CredentialSourceStep::kEc2InstanceMetadata:
      return "credential_source Ec2InstanceMetadata";
    case CredentialSourceStep::kEcsContainer:
      return "credential_source EcsContainer";
  }
  return "unknown";
}

}  // namespace batchgate::aws
