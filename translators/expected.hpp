#pragma once
// A value or the LineError that explains why there is none. Translators report expected failures as values
// (STYLE.md rule 8); std::expected is C++23, so this is the small subset the translators need.

#include <cassert>
#include <utility>
#include <variant>

#include "translators/translator.hpp"

namespace batchgate::translators {

template <class T>
class Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(LineError error)
      : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() {
    assert(has_value());
    return std::get<0>(state_);
  }
  const T& value() const {
    assert(has_value());
    return std::get<0>(state_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  LineError& error() {
    assert(!has_value());
    return std::get<1>(state_);
  }
  const LineError& error() const {
    assert(!has_value());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, LineError> state_;
};

}  // namespace batchgate::translators
