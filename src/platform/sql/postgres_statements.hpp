// The prepared statements of one PostgreSQL connection, keyed by SQL text and parameter types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ordo::sql::pg {

// Only plannable statements (SELECT, INSERT, UPDATE, DELETE, WITH, VALUES, MERGE, TABLE) are worth
// preparing: parse analysis and planning are what a prepared statement saves, and utility
// statements (BEGIN, SAVEPOINT, DDL) have no plan. Skipping them also keeps one-off texts such as
// "CREATE SCHEMA x" from taking a place in the cache.
bool worth_preparing(std::string_view sql);

// True when sql must go through the simple protocol: the extended protocol (and so pipeline
// mode) takes one statement per message, and only a text without parameters may hold several.
bool needs_simple_protocol(std::string_view sql, std::size_t param_count);

class StatementCache {
 public:
  // Bounded because every prepared statement holds a plan in the server backend's memory. When
  // full, new texts are not cached (they run unnamed, as without a cache) rather than evicting
  // old ones: the stores' SQL is a fixed set far below the bound, so a full cache means texts
  // built at run time, which would only churn an evicting cache (DEALLOCATE + Parse each time).
  static constexpr std::size_t kDefaultCapacity = 512;

  explicit StatementCache(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  struct Entry {
    std::string name;        // "s<N>", unique on the connection
    bool confirmed = false;  // the server answered the Parse: the name exists there
  };

  // The entry for key (sql text + type_signature), or null when the statement is not cached.
  // is_new tells the caller to send the Parse before the first execution.
  struct Lookup {
    Entry* entry = nullptr;
    bool is_new = false;
  };
  Lookup find_or_add(const std::string& key);

  // The Parse succeeded.
  void confirm(const std::string& key);
  // The Parse failed or never ran: the name does not exist on the server.
  void forget(const std::string& key);
  // The server's statement went stale (its result type changed after DDL): the next use prepares
  // it again under a new name, and the old name is deallocated when the connection is idle.
  void drop_stale(const std::string& key);

  // Names to DEALLOCATE; the cache forgets them.
  std::vector<std::string> take_deallocations();

  std::size_t size() const { return entries_.size(); }

 private:
  std::size_t capacity_;
  std::uint64_t next_name_ = 1;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<std::string> stale_names_;
};

}  // namespace ordo::sql::pg
