// A guard for JSON from outside: Boost.JSON (1.81) reads a number too large for a double, such
// as 1e400, as infinity, and writes infinity as `Infinity`, which is not JSON. A document that
// holds one cannot be written back (stored, forwarded, dead-lettered) and read again.
#pragma once

#include <boost/json/value.hpp>

namespace ordo::core {

// False when a number anywhere in the value is infinite (or NaN).
bool all_numbers_finite(const boost::json::value& value);

}  // namespace ordo::core
