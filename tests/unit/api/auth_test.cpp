// Which key a request presents, and which provider it names (LiteLLM's headers, routes and parameters).
#include "server/api/auth.hpp"

#include <gtest/gtest.h>

namespace batchgate::api {
namespace {

TEST(PresentedKey, AuthorizationBearer) {
  EXPECT_EQ(presented_key("", "Bearer sk-1234"), "sk-1234");
  EXPECT_EQ(presented_key("", "bearer  sk-1234 "), "sk-1234");
  EXPECT_EQ(presented_key("", "Basic c2stMTIzNA=="), std::nullopt);
  EXPECT_EQ(presented_key("", ""), std::nullopt);
}

// LiteLLM reads x-litellm-api-key first, with or without a scheme in front of the key.
TEST(PresentedKey, LiteLLMHeaderWinsWithOrWithoutAScheme) {
  EXPECT_EQ(presented_key("sk-1234", ""), "sk-1234");
  EXPECT_EQ(presented_key("Bearer sk-1234", ""), "sk-1234");
  EXPECT_EQ(presented_key("bearer sk-1234", ""), "sk-1234");
  EXPECT_EQ(presented_key("Basic sk-1234", ""), "sk-1234");
  EXPECT_EQ(presented_key("sk-litellm", "Bearer sk-openai"), "sk-litellm");
  EXPECT_EQ(presented_key("  ", "Bearer sk-openai"), "sk-openai") << "an empty header is no header";
  EXPECT_EQ(presented_key("Bearer ", ""), std::nullopt);
}

TEST(CheckProvider, OnlyBedrockOrNothing) {
  EXPECT_FALSE(check_provider("", "custom-llm-provider"));
  EXPECT_FALSE(check_provider("bedrock", "custom-llm-provider"));
  auto err = check_provider("openai", "custom-llm-provider");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(err->param, "custom-llm-provider");
  EXPECT_EQ(err->code, "unsupported_provider");
  EXPECT_NE(err->message.find("'openai'"), std::string::npos) << err->message;
}

}  // namespace
}  // namespace batchgate::api
