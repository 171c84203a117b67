#pragma once
// A streaming multipart/form-data parser (RFC 7578 / RFC 2046 §5.1): bytes go in as they arrive, events come
// out; the file part is never buffered whole. Asio-free.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace batchgate::http {

// The boundary parameter of a "multipart/form-data; boundary=…" Content-Type, or nullopt.
std::optional<std::string> multipart_boundary(std::string_view content_type);

struct PartInfo {
  std::string name;      // form field name
  std::string filename;  // empty unless the part is a file
  bool has_filename = false;
  std::string content_type;  // of the part, if given
};

class MultipartParser {
 public:
  enum class EventType { kNeedMore, kPartBegin, kData, kPartEnd, kDone, kError };
  struct Event {
    EventType type = EventType::kNeedMore;
    std::string_view data;   // kData: bytes of the current part, valid until the next feed() or next()
    std::string_view error;  // kError: what is wrong with the body
  };

  explicit MultipartParser(std::string boundary, std::size_t max_header_bytes = 16 << 10);

  // Appends received bytes. Call next() until it returns kNeedMore before feeding again.
  void feed(std::string_view bytes);
  // Tells the parser the body ended; next() then reports kDone, or kError if the body was cut short.
  void finish() { finished_ = true; }
  Event next();
  // Valid after kPartBegin, until the next kPartBegin.
  const PartInfo& part() const { return part_; }

 private:
  enum class State { kPreamble, kAfterBoundary, kHeaders, kBody, kDone, kError };
  Event fail(std::string_view why);
  bool parse_headers(std::string_view block);
  void compact();

  std::string delimiter_;  // "\r\n--" + boundary
  std::size_t max_header_bytes_;
  std::string buf_;
  std::size_t pos_ = 0;
  State state_ = State::kPreamble;
  bool finished_ = false;
  bool end_pending_ = false;  // a kPartEnd is owed before the state after the boundary is processed
  PartInfo part_;
};

}  // namespace batchgate::http
