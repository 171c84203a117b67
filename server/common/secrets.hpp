#pragma once

#include <string>
#include <string_view>

namespace batchgate {

// Lowercase hex SHA-256: how virtual keys are stored.
std::string sha256_hex(std::string_view data);
// Compares without an early exit, so timing does not reveal how much of a secret matched.
bool constant_time_equal(std::string_view a, std::string_view b);
// "sk-...k3Xq": enough to recognise a key in lists and logs, never enough to use it.
std::string mask_secret(std::string_view secret);

}  // namespace batchgate
