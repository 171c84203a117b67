#pragma once
// Tests write their inputs as nlohmann values; the translators read simdjson values. ParsedJson parses a
// value's text once and keeps the parser (which owns the document) alive with it.

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "translators/json_value.hpp"

namespace batchgate::translators {

class ParsedJson {
 public:
  explicit ParsedJson(const nlohmann::json& value) : text_(value.dump()) {
    if (parser_.parse(text_).get(root_) != simdjson::SUCCESS) {
      throw std::runtime_error("simdjson cannot parse " + text_);
    }
  }
  ParsedJson(const ParsedJson&) = delete;
  ParsedJson& operator=(const ParsedJson&) = delete;

  JsonValue root() const { return root_; }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  JsonValue root_;
};

}  // namespace batchgate::translators
