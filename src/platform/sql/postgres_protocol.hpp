// What travels between Ordo and libpq: parameters in text form, results turned into Values, and
// server errors mapped to sql::Error kinds by their SQLSTATE.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "platform/sql/database.hpp"

namespace ordo::sql::pg {

// Parameters in text format: int8 and float8 typed, text and NULL left for the server to infer
// (so a text parameter can fill a jsonb or timestamptz column).
struct Parameters {
  explicit Parameters(const std::vector<Value>& params);
  int count() const { return static_cast<int>(values.size()); }

  std::vector<std::string> texts;
  std::vector<Oid> types;
  std::vector<const char*> values;
};

// The declared types of params, one character each: what a prepared statement's parameter types
// depend on, so one SQL text bound with different types is prepared once per type combination.
std::string type_signature(const std::vector<Value>& params);

// libpq's message without its trailing newline.
std::string trimmed(const char* message);

Error::Kind kind_of(std::string_view sqlstate);

// The error a failed result stands for; sql is quoted (shortened) in the message.
Error error_from(const PGresult* result, PGconn* conn, std::string_view sql);

Result to_result(const PGresult* result);

}  // namespace ordo::sql::pg
