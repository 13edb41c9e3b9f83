#include "platform/sql/sqlite_inline_reads.hpp"

namespace ordo::sql {
namespace {

constexpr std::size_t kMaxRemembered = 1024;

}  // namespace

InlineReads::InlineReads(const SqliteOptions& options, std::chrono::microseconds budget)
    : budget_(budget), connection_(options, true) {}

bool InlineReads::quick(std::string_view sql) {
  std::lock_guard lock(times_mutex_);
  auto found = last_.find(sql);
  return found != last_.end() && found->second <= budget_;
}

void InlineReads::record(std::string_view sql, std::chrono::nanoseconds took) {
  std::lock_guard lock(times_mutex_);
  auto found = last_.find(sql);
  if (found != last_.end()) {
    found->second = took;
    return;
  }
  if (last_.size() >= kMaxRemembered)
    last_.clear();  // forgetting only sends some statements to the pool once more
  last_.emplace(std::string(sql), took);
}

std::optional<Result> InlineReads::try_run(std::string_view sql, const std::vector<Value>& params) {
  if (budget_.count() <= 0 || !quick(sql))
    return std::nullopt;
  std::unique_lock lock(connection_mutex_, std::try_to_lock);
  if (!lock.owns_lock())
    return std::nullopt;
  auto started = std::chrono::steady_clock::now();
  Result result = connection_.exec(sql, params);
  record(sql, std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace ordo::sql
