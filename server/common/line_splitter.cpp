#include "server/common/line_splitter.hpp"

namespace batchgate {

std::optional<LineSplitter::Line> LineSplitter::next_line() {
  while (!input_.empty()) {
    size_t nl = input_.find('\n');
    if (nl == std::string_view::npos) {
      if (!overflow_) {
        if (carry_.size() + input_.size() > max_line_) {
          overflow_ = true;
          carry_.clear();
        } else {
          carry_.append(input_);
        }
      }
      input_ = {};
      return std::nullopt;
    }
    std::string_view piece = input_.substr(0, nl);
    input_.remove_prefix(nl + 1);
    if (overflow_ || carry_.size() + piece.size() > max_line_) {
      overflow_ = false;
      carry_.clear();
      return Line{{}, true};
    }
    std::string_view line;
    if (carry_.empty()) {
      line = piece;
    } else {
      carry_.append(piece);
      line_ = std::move(carry_);
      carry_.clear();
      line = line_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return Line{line, false};
  }
  return std::nullopt;
}

std::optional<LineSplitter::Line> LineSplitter::finish() {
  if (overflow_) {
    overflow_ = false;
    return Line{{}, true};
  }
  if (carry_.empty()) return std::nullopt;
  line_ = std::move(carry_);
  carry_.clear();
  std::string_view line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return Line{line, false};
}

}  // namespace batchgate
