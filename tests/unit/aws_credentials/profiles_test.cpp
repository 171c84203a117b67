// Shared credentials/config files (spec/aws-sigv4-s3.md §4.2): INI reading and profile resolution.
#include <gtest/gtest.h>

#include "server/aws/credentials_ini.hpp"

namespace batchgate::aws {
namespace {

SharedFiles files(std::string_view credentials, std::string_view config) {
  return SharedFiles{parse_ini(credentials), parse_ini(config), "/home/u/.aws/credentials",
                     "/home/u/.aws/config"};
}

ProfilePlan plan_of(const SharedFiles& shared, std::string_view name) {
  auto resolved = resolve_profile(shared, name);
  EXPECT_TRUE(resolved) << resolved.error().message;
  if (!resolved || !resolved->plan) {
    ADD_FAILURE() << "no plan for " << name << (resolved ? ": " + resolved->skipped : "");
    return {};
  }
  return *resolved->plan;
}

std::string error_of(const SharedFiles& shared, std::string_view name) {
  auto resolved = resolve_profile(shared, name);
  EXPECT_FALSE(resolved) << "expected an error for " << name;
  return resolved ? "" : resolved.error().message;
}

TEST(AwsIni, SectionsKeysCommentsAndNesting) {
  IniFile ini = parse_ini(
      "# comment\n"
      "; other comment\n"
      "[default]\n"
      "Aws_Access_Key_Id = AKIADEFAULT\r\n"
      "aws_secret_access_key=secret=with=equals\n"
      "\n"
      "[profile dev]\n"
      "region: eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "[ spaced ]\n"
      "key = value with spaces  \n"
      "[default]\n"
      "region = us-east-1\n");
  ASSERT_EQ(ini.count("default"), 1u);
  EXPECT_EQ(ini["default"]["aws_access_key_id"], "AKIADEFAULT");
  EXPECT_EQ(ini["default"]["aws_secret_access_key"], "secret=with=equals");
  EXPECT_EQ(ini["default"]["region"], "us-east-1");  // repeated sections merge
  EXPECT_EQ(ini["profile dev"]["region"], "eu-west-1");
  EXPECT_EQ(ini["profile dev"]["s3"], "");
  EXPECT_EQ(ini["profile dev"].count("max_concurrent_requests"), 0u);  // nested block skipped
  EXPECT_EQ(ini["spaced"]["key"], "value with spaces");
}

TEST(AwsProfiles, ConfigUsesProfilePrefixAndCredentialsFileWins) {
  SharedFiles shared = files("[dev]\naws_access_key_id = AKIAFROMCREDS\naws_secret_access_key = c\n",
                             "[profile dev]\naws_access_key_id = AKIAFROMCONFIG\naws_secret_access_key = k\n"
                             "region = eu-west-1\n[dev]\naws_access_key_id = IGNORED\n");
  auto section = profile_section(shared, "dev");
  ASSERT_TRUE(section);
  EXPECT_EQ((*section)["aws_access_key_id"], "AKIAFROMCREDS");
  EXPECT_EQ((*section)["region"], "eu-west-1");
  EXPECT_FALSE(profile_section(shared, "prod"));
}

TEST(AwsProfiles, DefaultProfileIsBareInBothFiles) {
  SharedFiles shared = files("", "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n");
  ProfilePlan plan = plan_of(shared, "default");
  ASSERT_TRUE(std::holds_alternative<StaticKeysStep>(plan.base));
  EXPECT_EQ(std::get<StaticKeysStep>(plan.base).credentials.access_key_id, "AKIA");
}

TEST(AwsProfiles, StaticKeysWithSessionToken) {
  SharedFiles shared =
      files("[temp]\naws_access_key_id = ASIA\naws_secret_access_key = s\naws_session_token = t\n", "");
  ProfilePlan plan = plan_of(shared, "temp");
  EXPECT_EQ(std::get<StaticKeysStep>(plan.base).credentials.session_token, "t");
  EXPECT_TRUE(plan.roles.empty());
}

TEST(AwsProfiles, CredentialProcess) {
  SharedFiles shared = files("", "[profile proc]\ncredential_process = /usr/bin/get-creds --account 1\n");
  ProfilePlan plan = plan_of(shared, "proc");
  ASSERT_TRUE(std::holds_alternative<ProcessStep>(plan.base));
  EXPECT_EQ(std::get<ProcessStep>(plan.base).command, "/usr/bin/get-creds --account 1");
}

TEST(AwsProfiles, RoleChainThroughSourceProfiles) {
  SharedFiles shared =
      files("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n",
            "[profile middle]\nrole_arn = arn:aws:iam::1:role/Middle\nsource_profile = base\n"
            "external_id = ext-1\nduration_seconds = 1800\n"
            "[profile top]\nrole_arn = arn:aws:iam::2:role/Top\nsource_profile = middle\n"
            "role_session_name = top-session\n");
  ProfilePlan plan = plan_of(shared, "top");
  EXPECT_EQ(plan.profile, "top");
  EXPECT_EQ(std::get<StaticKeysStep>(plan.base).credentials.access_key_id, "AKIABASE");
  ASSERT_EQ(plan.roles.size(), 2u);
  EXPECT_EQ(plan.roles[0].role_arn, "arn:aws:iam::1:role/Middle");
  EXPECT_EQ(plan.roles[0].external_id, "ext-1");
  EXPECT_EQ(plan.roles[0].duration_seconds, 1800);
  EXPECT_EQ(plan.roles[0].role_session_name, "batchgate");
  EXPECT_EQ(plan.roles[1].role_arn, "arn:aws:iam::2:role/Top");
  EXPECT_EQ(plan.roles[1].role_session_name, "top-session");
}

TEST(AwsProfiles, SelfSourceUsesItsOwnKeys) {
  SharedFiles shared = files("[me]\naws_access_key_id = AKIAME\naws_secret_access_key = s\n",
                             "[profile me]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = me\n");
  ProfilePlan plan = plan_of(shared, "me");
  EXPECT_EQ(std::get<StaticKeysStep>(plan.base).credentials.access_key_id, "AKIAME");
  ASSERT_EQ(plan.roles.size(), 1u);
}

TEST(AwsProfiles, CredentialSourceAndWebIdentity) {
  SharedFiles shared =
      files("",
            "[profile ec2]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Ec2InstanceMetadata\n"
            "[profile env]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Environment\n"
            "[profile ecs]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = EcsContainer\n"
            "[profile web]\nrole_arn = arn:aws:iam::1:role/W\nweb_identity_token_file = ~/token\n");
  EXPECT_EQ(std::get<CredentialSourceStep>(plan_of(shared, "ec2").base),
            CredentialSourceStep::kEc2InstanceMetadata);
  EXPECT_EQ(std::get<CredentialSourceStep>(plan_of(shared, "env").base), CredentialSourceStep::kEnvironment);
  EXPECT_EQ(std::get<CredentialSourceStep>(plan_of(shared, "ecs").base), CredentialSourceStep::kEcsContainer);
  ProfilePlan web = plan_of(shared, "web");
  ASSERT_TRUE(std::holds_alternative<WebIdentityStep>(web.base));
  EXPECT_EQ(std::get<WebIdentityStep>(web.base).token_file, "~/token");
  EXPECT_EQ(std::get<WebIdentityStep>(web.base).role_arn, "arn:aws:iam::1:role/W");
  EXPECT_TRUE(web.roles.empty());  // the web identity call is the role assumption
}

TEST(AwsProfiles, MissingOrEmptyProfilesAreSkippedNotErrors) {
  SharedFiles shared = files("", "[default]\nregion = us-east-1\n");
  auto missing = resolve_profile(shared, "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->plan);
  EXPECT_NE(missing->skipped.find("\"nope\" not found"), std::string::npos);
  auto empty = resolve_profile(shared, "default");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->plan);
  EXPECT_NE(empty->skipped.find("holds no credentials"), std::string::npos);
}

TEST(AwsProfiles, MisconfigurationsAreErrorsThatNameTheProfile) {
  SharedFiles shared = files("[half]\naws_access_key_id = AKIA\n",
                             "[profile orphan]\nrole_arn = arn:aws:iam::1:role/R\n"
                             "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
                             "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n"
                             "[profile lost]\nrole_arn = arn:aws:iam::1:role/L\nsource_profile = ghost\n"
                             "[profile odd]\nrole_arn = arn:aws:iam::1:role/O\ncredential_source = Moon\n"
                             "[profile webonly]\nweb_identity_token_file = /t\n");
  EXPECT_NE(error_of(shared, "half").find("no aws_secret_access_key"), std::string::npos);
  EXPECT_NE(error_of(shared, "orphan").find("no source_profile, credential_source"), std::string::npos);
  EXPECT_NE(error_of(shared, "a").find("cycle"), std::string::npos);
  EXPECT_NE(error_of(shared, "lost").find("\"ghost\" not found"), std::string::npos);
  EXPECT_NE(error_of(shared, "odd").find("Moon"), std::string::npos);
  EXPECT_NE(error_of(shared, "webonly").find("no role_arn"), std::string::npos);
}

}  // namespace
}  // namespace batchgate::aws
