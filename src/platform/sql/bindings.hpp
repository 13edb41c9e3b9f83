// The parameters of a statement whose text is built piece by piece (optional filters, IN lists):
// each value is kept and its placeholder returned in one step, so that the numbers in the text
// and the order of the values cannot drift apart.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "platform/sql/database.hpp"

namespace ordo::sql {

class Bindings {
 public:
  // Keeps the value; its placeholder ("$3").
  std::string bind(Value value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  // Keeps each value in turn; their placeholders ("$3, $4, $5"), for IN (...).
  template <typename Range>
  std::string bind_each(const Range& values) {
    std::string list;
    for (const auto& value : values)
      list += (list.empty() ? "" : ", ") + bind(Value(value));
    return list;
  }
  std::size_t size() const { return values_.size(); }
  std::vector<Value>& values() { return values_; }

 private:
  std::vector<Value> values_;
};

}  // namespace ordo::sql
