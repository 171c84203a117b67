#pragma once
// Lines out of a byte stream that arrives in chunks (uploads, Bedrock output files). Asio-free.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate {

// Splits a byte stream into lines ('\n'; a trailing '\r' is dropped). A line longer than `max_line` is
// reported once as too long and skipped.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line) : max_line_(max_line) {}

  struct Line {
    std::string_view text;
    bool too_long = false;
  };
  // Feeds bytes; then call next_line() until it returns nullopt.
  void feed(std::string_view bytes) { input_ = bytes; }
  std::optional<Line> next_line();
  // The last line when the stream does not end with '\n'.
  std::optional<Line> finish();

 private:
  std::size_t max_line_;
  std::string_view input_;
  std::string carry_;
  std::string line_;  // a line assembled across feeds, handed out as a view
  bool overflow_ = false;
};

}  // namespace batchgate
