#pragma once
// The one UTF-8 policy at batchgate's edge: every byte string that is stored or echoed (request targets,
// header values, form fields, file names) must be valid UTF-8, or the request is refused with a 400 that
// does not quote it. JSON bodies are checked by their parser.

#include <cstddef>
#include <string>
#include <string_view>

namespace batchgate {

bool valid_utf8(std::string_view bytes);

// At most `max_bytes` of `value` (valid UTF-8) for an error message, cut on a character boundary.
std::string_view utf8_prefix(std::string_view value, std::size_t max_bytes);

// `value` in single quotes for an error message, at most kExcerptBytes of it: a longer value is cut on a
// character boundary and followed by "…' (N bytes)". Messages never grow with what a client sent.
constexpr std::size_t kExcerptBytes = 80;
std::string excerpt(std::string_view value);

}  // namespace batchgate
