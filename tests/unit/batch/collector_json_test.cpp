// append_json must write what json::dump() writes (it replaces dump() on the collector's hot path).
#include "server/batch/collector_json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace batchgate::batch {
namespace {

using nlohmann::json;

std::string text_of(const json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

TEST(CollectorJson, SameTextAsDumpWithoutFloats) {
  const json cases[] = {
      json(nullptr), json(true), json(false), json(0), json(-42), json(std::numeric_limits<std::int64_t>::min()),
      json(std::numeric_limits<std::uint64_t>::max()), json(""), json("plain"),
      json("quote \" backslash \\ slash / newline \n tab \t cr \r bell \x07 nul-free \x1f end"),
      json("unicode: é ☃ 😀 \u2028"), json::array(), json::object(),
      json::parse(R"({"b":[1,{"c":null,"a":"x"}],"a":{"z":[],"y":{}},"custom_id":"req-1"})"),
  };
  for (const json& value : cases) EXPECT_EQ(text_of(value), value.dump()) << value.dump();
}

TEST(CollectorJson, FloatsRoundTripAndStayFloats) {
  for (double number : {0.0, 1.0, -2.0, 0.1, 0.0023064255, -0.009327292, 1e300, 5e-324, 123456789.125}) {
    const std::string text = text_of(json(number));
    json back = json::parse(text);
    EXPECT_TRUE(back.is_number_float()) << text;
    EXPECT_EQ(back.get<double>(), number) << text;
  }
  EXPECT_EQ(text_of(json(1.0)), "1.0");
  EXPECT_EQ(text_of(json(std::nan(""))), "null");
  EXPECT_EQ(text_of(json(std::numeric_limits<double>::infinity())), "null");
}

TEST(CollectorJson, InvalidUtf8IsReplacedNotThrown) {
  const json value = std::string("bad \xff\xfe byte");
  EXPECT_EQ(text_of(value), value.dump(-1, ' ', false, json::error_handler_t::replace));
  json parsed;
  EXPECT_NO_THROW(parsed = json::parse(text_of(value)));
  EXPECT_TRUE(parsed.is_string());
}

}  // namespace
}  // namespace batchgate::batch
