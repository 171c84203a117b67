#pragma once
// Fixtures shared by the collector tests: deterministic ids, record mappings, Bedrock output lines.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/common/ids.hpp"
#include "storage/records.hpp"

namespace batchgate::batch::test {

// "00000001", "00000002", … padded or cut to the requested length: predictable and unique.
class CountingIds final : public IdGenerator {
 public:
  std::string base62(std::size_t length) override {
    std::string digits = std::to_string(++next_);
    if (digits.size() >= length) return digits.substr(digits.size() - length);
    return std::string(length - digits.size(), '0') + digits;
  }

 private:
  std::uint64_t next_ = 0;
};

inline std::string record_id(int n) {
  std::string id = std::to_string(1000000000 + n);  // "1000000007" → "R000000007"
  id[0] = 'R';
  return id;
}

// One single-record request per line: custom_id "req-<n>", recordId record_id(n), n = 1..count.
inline std::vector<storage::RecordMapping> chat_mappings(int count) {
  std::vector<storage::RecordMapping> out;
  for (int n = 1; n <= count; ++n) out.push_back({record_id(n), "req-" + std::to_string(n), n, 0, 1, 0});
  return out;
}

// An embeddings request on `line` whose input list expanded into `parts` records, numbered from `first`.
inline void add_embedding_request(std::vector<storage::RecordMapping>& out, const std::string& custom_id,
                                  int line, int first, int parts) {
  for (int p = 0; p < parts; ++p) out.push_back({record_id(first + p), custom_id, line, p, parts, 0});
}

inline nlohmann::json claude_input() {
  return {{"anthropic_version", "bedrock-2023-05-31"},
          {"max_tokens", 256},
          {"messages", nlohmann::json::array({{{"role", "user"}, {"content", "What is 2+2?"}}})}};
}

inline std::string claude_success(const std::string& id, const std::string& text, int input_tokens,
                                  int output_tokens) {
  nlohmann::json output = {
      {"id", "msg_bdrk_01"},
      {"type", "message"},
      {"role", "assistant"},
      {"model", "claude-3-5-haiku-20241022"},
      {"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})},
      {"stop_reason", "end_turn"},
      {"stop_sequence", nullptr},
      {"usage", {{"input_tokens", input_tokens}, {"output_tokens", output_tokens}}}};
  return nlohmann::json{{"recordId", id}, {"modelInput", claude_input()}, {"modelOutput", output}}.dump();
}

inline std::string bedrock_failure(const std::string& id, const nlohmann::json& code, const std::string& message) {
  return nlohmann::json{{"recordId", id},
                        {"modelInput", claude_input()},
                        {"error", {{"errorCode", code}, {"errorMessage", message}}}}
      .dump();
}

inline std::string titan_success(const std::string& id, const std::string& text, std::vector<double> embedding,
                                 int tokens) {
  return nlohmann::json{{"recordId", id},
                        {"modelInput", {{"inputText", text}}},
                        {"modelOutput", {{"embedding", embedding}, {"inputTextTokenCount", tokens}}}}
      .dump();
}

// Parses JSONL into its lines.
inline std::vector<nlohmann::json> parse_jsonl(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

}  // namespace batchgate::batch::test
