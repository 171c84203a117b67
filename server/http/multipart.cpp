#include "server/http/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace batchgate::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads `name=value` or `name="quoted \" value"` parameters of a header value (after the first ';').
std::optional<std::string> header_param(std::string_view value, std::string_view wanted) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string name = lower(trim(value.substr(i, eq - i)));
    size_t j = eq + 1;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      ++j;
      while (j < value.size() && value[j] != '"') {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        v.push_back(value[j++]);
      }
      j = value.find(';', j);
    } else {
      size_t end = value.find(';', j);
      v = std::string(trim(value.substr(j, end == std::string_view::npos ? value.size() - j : end - j)));
      j = end;
    }
    if (name == wanted) return v;
    i = j;
  }
  return std::nullopt;
}

MultipartParser::Event event(MultipartParser::EventType type, std::string_view data = {}) {
  MultipartParser::Event e;
  e.type = type;
  e.data = data;
  return e;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") return std::nullopt;
  auto b = header_param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 200) return std::nullopt;
  return b;
}

MultipartParser::MultipartParser(std::string boundary, std::size_t max_header_bytes)
    : delimiter_("\r\n--" + boundary), max_header_bytes_(max_header_bytes) {
  // The first boundary may start the body without the leading CRLF: pretend one was there.
  buf_ = "\r\n";
}

void MultipartParser::compact() {
  if (pos_ > 0 && (pos_ >= buf_.size() || pos_ > (64u << 10))) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

void MultipartParser::feed(std::string_view bytes) {
  compact();
  buf_.append(bytes);
}

MultipartParser::Event MultipartParser::fail(std::string_view why) {
  state_ = State::kError;
  Event e = event(EventType::kError);
  e.error = why;
  return e;
}

bool MultipartParser::parse_headers(std::string_view block) {
  part_ = PartInfo{};
  bool disposition = false;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (lower(trim(value.substr(0, value.find(';')))) != "form-data") return false;
      auto n = header_param(value, "name");
      if (!n) return false;
      part_.name = *n;
      if (auto f = header_param(value, "filename")) {
        part_.filename = *f;
        part_.has_filename = true;
      }
      disposition = true;
    } else if (name == "content-type") {
      part_.content_type = std::string(value);
    }
  }
  return disposition;
}

MultipartParser::Event MultipartParser::next() {
  for (;;) {
    const std::string_view avail = std::string_view(buf_).substr(pos_);
    switch (state_) {
      case State::kPreamble: {
        size_t at = avail.find(delimiter_);
        if (at == std::string_view::npos) {
          if (finished_) return fail("the body has no multipart boundary");
          // Keep only what may still be the start of the boundary.
          if (avail.size() > delimiter_.size()) pos_ += avail.size() - delimiter_.size();
          return {};
        }
        pos_ += at + delimiter_.size();
        state_ = State::kAfterBoundary;
        continue;
      }
      case State::kAfterBoundary: {
        if (end_pending_) {
          end_pending_ = false;
          return event(EventType::kPartEnd);
        }
        if (avail.size() < 2) {
          if (finished_) return fail("the body ends inside a multipart boundary");
          return {};
        }
        if (avail.substr(0, 2) == "--") {
          state_ = State::kDone;
          continue;
        }
        // Transport padding (spaces/tabs) may precede the CRLF.
        size_t crlf = avail.find("\r\n");
        if (crlf == std::string_view::npos) {
          if (finished_ || avail.size() > 1024) return fail("malformed multipart boundary line");
          return {};
        }
        // The same 1 KiB bound once the CRLF has arrived (padding plus '\r' as counted above), so that
        // accepting the body does not depend on where its chunks happened to end.
        if (crlf + 1 > 1024 || !trim(avail.substr(0, crlf)).empty())
          return fail("malformed multipart boundary line");
        pos_ += crlf + 2;
        state_ = State::kHeaders;
        continue;
      }
      case State::kHeaders: {
        size_t end = avail.find("\r\n\r\n");
        if (end == std::string_view::npos) {
          if (avail.size() > max_header_bytes_) return fail("multipart part headers are too large");
          if (finished_) return fail("the body ends inside multipart part headers");
          return {};
        }
        if (end > max_header_bytes_) return fail("multipart part headers are too large");
        if (!parse_headers(avail.substr(0, end)))
          return fail("a multipart part lacks 'Content-Disposition: form-data; name=…'");
        pos_ += end + 4;
        state_ = State::kBody;
        return event(EventType::kPartBegin);
      }
      case State::kBody: {
        size_t at = avail.find(delimiter_);
        if (at != std::string_view::npos) {
          pos_ += at + delimiter_.size();
          state_ = State::kAfterBoundary;
          end_pending_ = true;
          if (at > 0) return event(EventType::kData, avail.substr(0, at));
          continue;
        }
        if (finished_) return fail("the body ends inside a multipart part (no closing boundary)");
        // Everything except a tail that could be the beginning of the delimiter is part data.
        const size_t keep = std::min(avail.size(), delimiter_.size() - 1);
        const size_t emit = avail.size() - keep;
        if (emit == 0) return {};
        pos_ += emit;
        return event(EventType::kData, avail.substr(0, emit));
      }
      case State::kDone:
        return event(EventType::kDone);
      case State::kError:
        return fail("multipart body already failed");
    }
  }
}

}  // namespace batchgate::http
