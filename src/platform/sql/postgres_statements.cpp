// Which statements a PostgreSQL connection prepares, and the names it gave them.
#include "platform/sql/postgres_statements.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace ordo::sql::pg {

bool worth_preparing(std::string_view sql) {
  std::size_t start = 0;
  while (start < sql.size() &&
         (std::isspace(static_cast<unsigned char>(sql[start])) || sql[start] == '(')) {
    ++start;
  }
  std::size_t end = start;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) {
    ++end;
  }
  std::string_view word = sql.substr(start, end - start);
  static constexpr std::array<std::string_view, 8> kPlannable = {
      "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "MERGE", "TABLE"};
  return std::any_of(kPlannable.begin(), kPlannable.end(), [word](std::string_view keyword) {
    return std::equal(word.begin(), word.end(), keyword.begin(), keyword.end(), [](char a, char b) {
      return std::toupper(static_cast<unsigned char>(a)) == b;
    });
  });
}

bool needs_simple_protocol(std::string_view sql, std::size_t param_count) {
  // A ';' inside a literal sends a single statement this way too: harmless, only slower.
  return param_count == 0 && sql.find(';') != std::string_view::npos;
}

StatementCache::Lookup StatementCache::find_or_add(const std::string& key) {
  if (auto found = entries_.find(key); found != entries_.end()) {
    return {&found->second, false};
  }
  if (entries_.size() + stale_names_.size() >= capacity_) {
    return {};
  }
  auto [inserted, ignored] = entries_.emplace(key, Entry{"s" + std::to_string(next_name_++)});
  return {&inserted->second, true};
}

void StatementCache::confirm(const std::string& key) {
  if (auto found = entries_.find(key); found != entries_.end()) {
    found->second.confirmed = true;
  }
}

void StatementCache::forget(const std::string& key) {
  entries_.erase(key);
}

void StatementCache::drop_stale(const std::string& key) {
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    return;
  }
  stale_names_.push_back(std::move(found->second.name));
  entries_.erase(found);
}

std::vector<std::string> StatementCache::take_deallocations() {
  return std::exchange(stale_names_, {});
}

}  // namespace ordo::sql::pg
