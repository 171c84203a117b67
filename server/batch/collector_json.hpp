#pragma once
// Serialises nlohmann::json values for the output files, several times faster than json::dump() (which
// decodes every string byte by byte): runs of plain bytes are copied whole. The text is the same as
// dump() up to number formatting (doubles print in shortest round-trip form, always with a '.' or an
// exponent); invalid UTF-8 is replaced by U+FFFD as with error_handler_t::replace. Asio-free.

#include <nlohmann/json.hpp>
#include <string>

namespace batchgate::batch {

// Appends the compact JSON text of `value` to `out`.
void append_json(std::string& out, const nlohmann::json& value);

}  // namespace batchgate::batch
