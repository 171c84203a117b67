#pragma once
// Helpers shared by the fuzz targets: reading the input as text and checking properties that hold for every
// input. A failed check aborts (asserts are compiled out of RelWithDebInfo), which libFuzzer reports as a
// crash and the replay test as a failure.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace batchgate::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

// The text up to the first '\n' (without it); `text` keeps what follows. All of `text` when it has no '\n'.
inline std::string_view take_line(std::string_view& text) {
  const std::size_t eol = text.find('\n');
  const std::string_view line = text.substr(0, eol);
  text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  return line;
}

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  std::abort();
}

}  // namespace batchgate::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::batchgate::fuzz::fail(#condition, __FILE__, __LINE__))
