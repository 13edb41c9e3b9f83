// Conversions between Ordo's Values and libpq's text protocol, and SQLSTATE to error kinds.
#include "platform/sql/postgres_protocol.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace ordo::sql::pg {
namespace {

// Type OIDs from pg_type.dat: the ones whose text form maps to a number.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

bool all_zeros(std::string_view digits) {
  return digits.find_first_not_of('0') == std::string_view::npos;
}

// numeric comes back for SUM(bigint) and friends: a whole number stays an integer.
Value numeric_value(std::string_view text) {
  std::string_view whole = text;
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    if (!all_zeros(text.substr(dot + 1))) {
      return std::strtod(std::string(text).c_str(), nullptr);
    }
    whole = text.substr(0, dot);
  }
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), n);
  if (ec == std::errc() && end == whole.data() + whole.size()) {
    return n;
  }
  return std::strtod(std::string(text).c_str(), nullptr);  // NaN, Infinity, beyond int64
}

Value column_value(const PGresult* result, int row, int column, Oid type) {
  if (PQgetisnull(result, row, column)) {
    return Null{};
  }
  std::string_view text(PQgetvalue(result, row, column),
                        static_cast<std::size_t>(PQgetlength(result, row, column)));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t n = 0;
      std::from_chars(text.data(), text.data() + text.size(), n);
      return n;
    }
    case kBoolOid:
      return std::int64_t{text == "t" ? 1 : 0};
    case kFloat4Oid:
    case kFloat8Oid:
      return std::strtod(std::string(text).c_str(), nullptr);
    case kNumericOid:
      return numeric_value(text);
    default:
      return std::string(text);
  }
}

std::string double_text(double d) {
  if (std::isnan(d)) {
    return "NaN";
  }
  if (std::isinf(d)) {
    return d > 0 ? "Infinity" : "-Infinity";
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(d);
}
}  // namespace

Parameters::Parameters(const std::vector<Value>& params) {
  texts.resize(params.size());
  types.resize(params.size(), 0);
  values.resize(params.size(), nullptr);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      texts[i] = std::to_string(*n);
      types[i] = kInt8Oid;
    } else if (const auto* d = std::get_if<double>(&v)) {
      texts[i] = double_text(*d);
      types[i] = kFloat8Oid;
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      texts[i] = *s;
    } else {
      continue;  // NULL: a null pointer
    }
    values[i] = texts[i].c_str();
  }
}

std::string type_signature(const std::vector<Value>& params) {
  std::string signature;
  signature.reserve(params.size());
  for (const Value& v : params) {
    // Text and NULL are both sent untyped (the server infers them), so they share a letter.
    signature += std::holds_alternative<std::int64_t>(v) ? 'i'
                 : std::holds_alternative<double>(v)     ? 'f'
                                                         : 'u';
  }
  return signature;
}

std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Error::Kind kind_of(std::string_view sqlstate) {
  if (sqlstate == "23505") {
    return Error::Kind::unique_violation;
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Error::Kind::busy;
  }
  if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03") {
    return Error::Kind::connection;
  }
  return Error::Kind::other;
}

Error error_from(const PGresult* result, PGconn* conn, std::string_view sql) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (!state) {
    // No SQLSTATE: libpq itself failed (the connection broke while the statement ran).
    return Error(Error::Kind::connection, "postgres: " + trimmed(PQerrorMessage(conn)));
  }
  std::string what = "postgres: " + trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) +
                     " (SQLSTATE " + state + ")";
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
    what += ": " + trimmed(detail);
  }
  constexpr std::size_t kSqlShown = 120;
  what += " in: " + std::string(sql.substr(0, kSqlShown)) + (sql.size() > kSqlShown ? "..." : "");
  return Error(kind_of(state), what, state);
}

Result to_result(const PGresult* result) {
  Result out;
  int rows = PQntuples(result);
  int columns = PQnfields(result);
  std::vector<Oid> types(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    types[static_cast<std::size_t>(c)] = PQftype(result, c);
  }
  out.rows.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      values.push_back(column_value(result, r, c, types[static_cast<std::size_t>(c)]));
    }
    out.rows.emplace_back(std::move(values));
  }
  std::string_view affected = PQcmdTuples(const_cast<PGresult*>(result));
  if (!affected.empty()) {
    std::from_chars(affected.data(), affected.data() + affected.size(), out.affected_rows);
  }
  return out;
}

}  // namespace ordo::sql::pg
