// JsonWriter and the JsonValue helpers: output must parse back to the same value (checked with nlohmann, an
// independent parser), escape what JSON requires, never hold a raw newline, and repair invalid UTF-8.
#include "translators/json_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "translators/json_value.hpp"

namespace batchgate::translators {
namespace {

using nlohmann::json;

std::string write_string(std::string_view text) {
  std::string out;
  JsonWriter(out).string(text);
  return out;
}

TEST(JsonWriterTest, PlacesCommasInNestedObjectsAndArrays) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", 1).key("b").begin_array().number(std::int64_t{2}).begin_object().end_object();
  w.begin_array().end_array().null().end_array().field("c", "x").field("d", true).end_object();
  EXPECT_EQ(out, R"({"a":1,"b":[2,{},[],null],"c":"x","d":true})");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string text = "say \"hi\"\\\n\t\r\b\f\x01 end";
  std::string out = write_string(text);
  EXPECT_EQ(out, R"("say \"hi\"\\\n\t\r\b\f\u0001 end")");
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(json::parse(out).get<std::string>(), text);
}

// Plain text is scanned eight bytes at a time: every ASCII byte, at every offset of a word, must still be
// escaped when it has to be (and only then).
TEST(JsonWriterTest, EscapesEveryAsciiByteAtEveryOffset) {
  for (int c = 0; c < 0x80; ++c) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string text(19, 'a');
      text[at] = static_cast<char>(c);
      std::string out = write_string(text);
      ASSERT_EQ(json::parse(out).get<std::string>(), text) << "byte " << c << " at " << at;
      const bool escaped = c < 0x20 || c == '"' || c == '\\';
      if (escaped) {
        EXPECT_GT(out.size(), text.size() + 2) << "byte " << c << " at " << at;
      } else {
        EXPECT_EQ(out, "\"" + text + "\"") << "byte " << c << " at " << at;
      }
    }
  }
  std::string multibyte = "0123456\xC3\xA9" + std::string(9, 'x') + "\xE2\x98\x83\"";
  EXPECT_EQ(json::parse(write_string(multibyte)).get<std::string>(), multibyte);
}

TEST(JsonWriterTest, KeysThatNeedEscapingAreEscaped) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("plain", 1).field("with \"quote\"", 2).field(std::string(70, 'k'), 3).end_object();
  EXPECT_EQ(json::parse(out), json({{"plain", 1}, {"with \"quote\"", 2}, {std::string(70, 'k'), 3}}));
}

TEST(JsonWriterTest, KeepsValidUtf8AndRepairsInvalidBytes) {
  std::string valid = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(write_string(valid), "\"" + valid + "\"");
  std::string invalid = "a\xC3(b\xFF";
  std::string out = write_string(invalid);
  EXPECT_EQ(json::parse(out).get<std::string>(), "a\xEF\xBF\xBD(b\xEF\xBF\xBD");
}

TEST(JsonWriterTest, WritesNumbersThatReadBackTheSame) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().number(0.2).number(1.0).number(-3.5e-7).number(std::int64_t{-42});
  w.number(std::uint64_t{18446744073709551615ULL}).number(std::nan("")).end_array();
  EXPECT_EQ(out, "[0.2,1.0,-3.5e-07,-42,18446744073709551615,null]");
}

TEST(JsonWriterTest, CopiesParsedValuesCompactly) {
  std::string input =
      R"({ "text": "line\nbreak \u00e9", "n": [1, -2, 2.5, true, null, {"k": {}}], "big": 18446744073709551615 })";
  simdjson::dom::parser parser;
  JsonValue root = parser.parse(input);
  std::string out;
  JsonWriter(out).value(root);
  EXPECT_EQ(out, R"({"text":"line\nbreak é","n":[1,-2,2.5,true,null,{"k":{}}],"big":18446744073709551615})");
  EXPECT_EQ(json::parse(out), json::parse(input));
}

TEST(JsonValueTest, FindSetTreatsNullAndAbsentAlikeAndDescribeCutsLongValues) {
  simdjson::dom::parser parser;
  JsonValue root =
      parser.parse(std::string(R"({"a": null, "b": "x", "c": 3, "long": ")") + std::string(100, 'y') + "\"}");
  EXPECT_FALSE(find_set(root, "a"));
  EXPECT_FALSE(find_set(root, "missing"));
  EXPECT_EQ(string_at(root, "b"), "x");
  EXPECT_EQ(string_at(root, "c"), "");
  EXPECT_EQ(as_double(*find_set(root, "c")), 3.0);
  std::string text = describe(*find_set(root, "long"));
  EXPECT_EQ(text, "\"" + std::string(59, 'y') + "...");
  EXPECT_FALSE(find_set(*find_set(root, "b"), "b")) << "a string has no fields";
}

}  // namespace
}  // namespace batchgate::translators
