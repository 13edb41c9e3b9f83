// Row accessors and Result::one: typed reads of the Values a driver returns.
#include <string>

#include "platform/sql/database.hpp"

namespace ordo::sql {
namespace {
[[noreturn]] void wrong_type(std::size_t i, const char* wanted, const Value& v) {
  static constexpr const char* kNames[] = {"NULL", "integer", "real", "text"};
  throw Error(Error::Kind::other, "column " + std::to_string(i) + ": expected " + wanted +
                                      ", found " + kNames[v.index()]);
}
}  // namespace

bool Row::is_null(std::size_t i) const {
  return std::holds_alternative<Null>(values_.at(i));
}

std::int64_t Row::integer(std::size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    return *n;
  }
  // NUMERIC columns may come back as REAL when they hold a whole number written as 1.0.
  if (const auto* d = std::get_if<double>(&v)) {
    return static_cast<std::int64_t>(*d);
  }
  wrong_type(i, "integer", v);
}

double Row::real(std::size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* d = std::get_if<double>(&v)) {
    return *d;
  }
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    return static_cast<double>(*n);
  }
  wrong_type(i, "real", v);
}

const std::string& Row::text(std::size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) {
    return *s;
  }
  wrong_type(i, "text", v);
}

std::optional<std::string> Row::optional_text(std::size_t i) const {
  if (is_null(i)) {
    return std::nullopt;
  }
  return text(i);
}

std::optional<std::int64_t> Row::optional_integer(std::size_t i) const {
  if (is_null(i)) {
    return std::nullopt;
  }
  return integer(i);
}

const Row& Result::one() const {
  if (rows.size() != 1) {
    throw Error(Error::Kind::other, "expected exactly one row, got " + std::to_string(rows.size()));
  }
  return rows.front();
}

}  // namespace ordo::sql
