// Quick SQLite reads on the calling thread, for the SQLite Database (sqlite_database.cpp).
//
// Why: a read handed to the reader pool and back costs two thread switches (a futex wake, an
// eventfd wake, two context switches: under a read load about six futex calls per request and
// more kernel time than the query itself), while a read by key on pages in memory takes a few
// microseconds. So a statement whose last run was quick runs right here, on a connection of its
// own; one never seen, or slow last time, still goes to the pool (a slow read must not hold up an
// event loop), and its time there decides the next run. WAL readers never wait for the writer,
// and checkpoints are passive, so a quick read does not turn slow by blocking.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "platform/sql/sqlite_connection.hpp"

namespace ordo::sql {

class InlineReads {
 public:
  // budget: a statement whose last run took longer goes to the pool next time.
  InlineReads(const SqliteOptions& options, std::chrono::microseconds budget);

  // The result when the statement ran here; nullopt when it should go to the pool instead
  // (unknown or slow statement, or another thread is using the connection). Throws what the
  // statement throws.
  std::optional<Result> try_run(std::string_view sql, const std::vector<Value>& params);
  // Records how long a statement took elsewhere (on the pool).
  void record(std::string_view sql, std::chrono::nanoseconds took);

 private:
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  bool quick(std::string_view sql);

  std::chrono::nanoseconds budget_;
  std::mutex connection_mutex_;  // only try_lock'ed: a thread that finds it taken uses the pool
  SqliteConnection connection_;
  std::mutex times_mutex_;
  // The last run's time per SQL text; bounded (dynamic list queries make many texts).
  std::unordered_map<std::string, std::chrono::nanoseconds, TextHash, std::equal_to<>> last_;
};

}  // namespace ordo::sql
