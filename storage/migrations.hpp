#pragma once

#include "storage/sqlite_db.hpp"

namespace batchgate::storage {

// Brings the schema to the newest version; each step runs once, in its own transaction. Blocks.
void migrate_blocking(Database& db);
int schema_version_blocking(Database& db);

}  // namespace batchgate::storage
