#pragma once
// The store interface. Every method blocks (SQLite file I/O): call it from the blocking pool, never from an
// HTTP I/O thread.

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/records.hpp"

namespace batchgate::storage {

enum class ErrorCode { kNotFound, kConflict, kIo };

struct Error {
  ErrorCode code;
  std::string message;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

struct KeyUpdate {
  std::optional<std::vector<std::string>> models;
  std::optional<std::optional<double>> max_budget;
  std::optional<std::string> key_alias;
  std::optional<std::string> user_id;
  std::optional<std::string> team_id;
  std::optional<std::string> metadata_json;
  std::optional<std::optional<std::int64_t>> expires_at;
  std::optional<bool> blocked;
};

class Store {
 public:
  virtual ~Store() = default;

  // Readiness: the database answers a query.
  virtual Result<void> ping() = 0;

  virtual Result<std::int64_t> insert_key(const KeyRecord& key) = 0;
  virtual Result<std::optional<KeyRecord>> find_key_by_hash(const std::string& token_hash) = 0;
  virtual Result<std::vector<KeyRecord>> list_keys(std::int64_t limit, std::int64_t offset) = 0;
  // Applies the set fields; kNotFound when no key has this hash.
  virtual Result<KeyRecord> update_key(const std::string& token_hash, const KeyUpdate& update,
                                       std::int64_t now) = 0;
  // Returns how many of the keys existed and were deleted.
  virtual Result<std::int64_t> delete_keys(const std::vector<std::string>& token_hashes) = 0;
};

}  // namespace batchgate::storage
