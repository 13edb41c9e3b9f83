// A Database decorator that delivers Transaction::notify() to Database::listen() listeners once
// the transaction has committed: any driver gains after-commit signals without knowing of them.
#pragma once

#include <memory>

#include "platform/sql/database.hpp"

namespace ordo::sql {

// Wraps inner; everything else is passed through unchanged.
std::unique_ptr<Database> with_commit_listeners(std::unique_ptr<Database> inner);

}  // namespace ordo::sql
