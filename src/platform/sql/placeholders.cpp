// A single forward scan: SQL text is small and rewritten once per statement (then cached).
#include "platform/sql/placeholders.hpp"

#include <cctype>

namespace ordo::sql {
namespace {
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Returns the index just past a quoted run starting at i (sql[i] is the opening quote). A doubled
// closing quote is an escaped quote and continues the run.
std::size_t skip_quoted(std::string_view sql, std::size_t i, char close) {
  for (std::size_t j = i + 1; j < sql.size(); ++j) {
    if (sql[j] != close) {
      continue;
    }
    if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return sql.size();
}

std::size_t skip_line_comment(std::string_view sql, std::size_t i) {
  std::size_t end = sql.find('\n', i);
  return end == std::string_view::npos ? sql.size() : end + 1;
}

std::size_t skip_block_comment(std::string_view sql, std::size_t i) {
  std::size_t end = sql.find("*/", i + 2);
  return end == std::string_view::npos ? sql.size() : end + 2;
}
}  // namespace

std::string to_sqlite_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    std::size_t next = i + 1;
    if (c == '\'' || c == '"' || c == '`') {
      next = skip_quoted(sql, i, c);
    } else if (c == '[') {
      next = skip_quoted(sql, i, ']');
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      next = skip_line_comment(sql, i);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      next = skip_block_comment(sql, i);
    } else if (c == '$' && i + 1 < sql.size() && is_digit(sql[i + 1]) &&
               (i == 0 || !is_identifier_char(sql[i - 1]))) {
      out += '?';
      ++i;
      continue;
    }
    out.append(sql.substr(i, next - i));
    i = next;
  }
  return out;
}

}  // namespace ordo::sql
