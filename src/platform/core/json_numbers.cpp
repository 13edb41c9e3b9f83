#include "platform/core/json_numbers.hpp"

#include <algorithm>
#include <cmath>

namespace ordo::core {

bool all_numbers_finite(const boost::json::value& value) {
  // Recursion is bounded by the parser's depth limit (32 by default).
  if (const auto* number = value.if_double())
    return std::isfinite(*number);
  if (const auto* array = value.if_array())
    return std::all_of(array->begin(), array->end(), all_numbers_finite);
  if (const auto* object = value.if_object()) {
    return std::all_of(object->begin(), object->end(),
                       [](const auto& member) { return all_numbers_finite(member.value()); });
  }
  return true;
}

}  // namespace ordo::core
