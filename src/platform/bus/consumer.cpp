// The consumer's batch: decode every delivery, then one transaction that writes the inbox rows in
// one statement and applies each fresh event under its own savepoint, then the after-commit
// hooks. Its policy is described in consumer.hpp.
#include "platform/bus/consumer.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/writer_lock.hpp"

namespace ordo::bus {
namespace asio = boost::asio;

struct Consumer::Core {
  Core(sql::Database& db, std::string name) : db(db), name(std::move(name)) {}
  sql::Database& db;
  const std::string name;
  std::map<std::string, detail::Route, std::less<>> routes;
  std::vector<std::function<void()>> after_commit;
  bool one_batch_at_a_time = false;
  std::shared_ptr<ConsumerStats> stats =
      std::make_shared<ConsumerStats>();  // set by subscription()
  // This process's batches of the consumer (one per type on NATS) queue here, not each on a
  // pooled connection waiting for the advisory lock. Touched only on the io thread.
  mutable sql::WriterLock turn;
};

namespace {

// One delivery of a batch and what became of it.
struct Entry {
  const CloudEvent* event = nullptr;
  std::optional<std::size_t> same_as;  // the same event id came earlier in this batch
  std::unique_ptr<detail::Step> step;  // null when the event is dead before it runs
  std::string dead_reason;             // why it can never succeed
  bool applied = false;
  bool duplicate = false;  // handled before (its inbox row was there)
  Settlement settlement;
};

// The commit stands whatever a hook does: a hook that throws is logged, not retried.
template <typename Fn>
void run_hook(const std::string& consumer, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    log::error(consumer, "after-commit hook failed", {{"error", e.what()}});
  }
}

bool unreachable(const sql::Error& e) {
  return e.kind() == sql::Error::Kind::connection || e.kind() == sql::Error::Kind::busy;
}

// What waits until no other batch of this consumer runs on the database (every instance sharing
// the schema): a transaction-level advisory lock, named by schema and consumer. SQLite files have
// one writer anyway.
std::optional<sql::Statement> turn_statement(const sql::Database& db, const std::string& consumer) {
  if (db.dialect() != sql::Dialect::postgres)
    return std::nullopt;
  return sql::Statement{"SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext($1))",
                        sql::params(consumer)};
}

// Everything that can be known before the transaction: duplicates within the batch, the handler
// of each type, and whether each event's data decodes.
std::vector<Entry> prepare(const Consumer::Core& core, std::span<const Delivery> batch) {
  std::vector<Entry> entries(batch.size());
  std::map<std::string_view, std::size_t> first_of_id;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Entry& entry = entries[i];
    entry.event = &batch[i].event;
    auto [it, added] = first_of_id.try_emplace(entry.event->id, i);
    if (!added) {
      entry.same_as = it->second;
      continue;
    }
    auto route = core.routes.find(entry.event->type);
    if (route == core.routes.end()) {
      entry.dead_reason = core.name + " has no handler for " + entry.event->type;
      continue;
    }
    try {
      entry.step = route->second(*entry.event);
    } catch (const std::exception& e) {
      entry.dead_reason = "malformed " + entry.event->type + " payload: " + e.what();
    }
  }
  return entries;
}

// The inbox rows of the whole batch in one statement; it returns the ids that were not there yet.
sql::Statement inbox_statement(const std::string& consumer, const std::vector<Entry>& entries) {
  std::string sql = "INSERT INTO inbox (consumer, event_id, processed_at) VALUES ";
  std::vector<sql::Value> values = sql::params(consumer, core::rfc3339());
  for (const Entry& entry : entries) {
    if (entry.same_as)
      continue;
    values.emplace_back(entry.event->id);
    sql += (values.size() == 3 ? "($1, $" : ", ($1, $") + std::to_string(values.size()) + ", $2)";
  }
  sql += " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id";
  return sql::Statement{std::move(sql), std::move(values)};
}

asio::awaitable<void> record_dead(sql::Transaction& tx, const std::string& consumer,
                                  const Entry& entry) {
  log::warn(
      consumer, "poison event recorded as dead",
      {{"event_id", entry.event->id}, {"type", entry.event->type}, {"reason", entry.dead_reason}});
  co_await tx.exec(
      "INSERT INTO dead_events (id, consumer, payload, reason, recorded_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      sql::params(core::uuid_v7(), consumer, serialize(*entry.event), entry.dead_reason,
                  core::rfc3339()));
}

// The transaction as one event's handler sees it: "SAVEPOINT ordo_event" travels with the
// handler's first statements (one round trip on PostgreSQL instead of two), and is never sent
// for a handler that runs no statement. A savepoint whose batch failed may or may not exist, but
// then the transaction is aborted and only a rollback of the whole batch can follow.
class EventTransaction final : public sql::Transaction {
 public:
  explicit EventTransaction(sql::Transaction& tx) : tx_(tx) {}

  asio::awaitable<sql::Result> exec(std::string_view sql, std::vector<sql::Value> params) override {
    if (savepoint_sent_)
      co_return co_await tx_.exec(sql, std::move(params));
    std::vector<sql::Statement> statements;
    statements.push_back(sql::Statement{std::string(sql), std::move(params)});
    std::vector<sql::Result> results = co_await exec_all(std::move(statements));
    co_return std::move(results.front());
  }

  asio::awaitable<std::vector<sql::Result>> exec_all(
      std::vector<sql::Statement> statements) override {
    if (savepoint_sent_)
      co_return co_await tx_.exec_all(std::move(statements));
    statements.insert(statements.begin(), sql::Statement{"SAVEPOINT ordo_event", {}});
    savepoint_sent_ = true;
    std::vector<sql::Result> results = co_await tx_.exec_all(std::move(statements));
    results.erase(results.begin());
    co_return results;
  }

  void notify(std::string_view channel) override { tx_.notify(channel); }
  bool savepoint_sent() const { return savepoint_sent_; }

 private:
  sql::Transaction& tx_;
  bool savepoint_sent_ = false;
};

// Applies one fresh event under its own savepoint. A failure rolls back to it and takes the
// event's inbox row back out, so only this event is retried: as a failure (counted toward
// dead-lettering), or, when it lost a race for a lock (deadlock, serialization failure: sql::Error
// busy), as unavailable (not its fault: not counted). A lost connection rethrows: the whole
// transaction is gone. The savepoint is never released: that would cost a round trip per event
// on PostgreSQL, and the transaction ends in a moment anyway.
asio::awaitable<void> apply_one(sql::Transaction& tx, const std::string& consumer, Entry& entry) {
  EventTransaction event_tx(tx);
  std::exception_ptr lost;
  std::optional<Settlement> failed;
  try {
    co_await entry.step->apply(event_tx);
    entry.applied = true;
  } catch (const PoisonEvent& e) {
    entry.dead_reason = e.what();
  } catch (const Unavailable&) {
    lost = std::current_exception();
  } catch (const sql::Error& e) {
    if (e.kind() == sql::Error::Kind::connection)
      lost = std::current_exception();
    else if (e.kind() == sql::Error::Kind::busy)
      failed = Settlement{Outcome::unavailable, e.what()};
    else
      failed = Settlement{Outcome::retry, e.what()};
  } catch (const std::exception& e) {
    failed = Settlement{Outcome::retry, e.what()};
  } catch (...) {
    failed = Settlement{Outcome::retry, "unknown failure"};
  }
  if (lost)
    std::rethrow_exception(lost);
  if (entry.applied)
    co_return;
  if (event_tx.savepoint_sent())
    co_await tx.exec("ROLLBACK TO SAVEPOINT ordo_event");
  if (!entry.dead_reason.empty()) {
    co_await record_dead(tx, consumer, entry);
    co_return;
  }
  co_await tx.exec("DELETE FROM inbox WHERE consumer = $1 AND event_id = $2",
                   sql::params(consumer, entry.event->id));
  entry.settlement = std::move(*failed);
}

asio::awaitable<void> run_batch(const Consumer::Core& core, sql::Transaction& tx,
                                std::vector<Entry>& entries) {
  const std::string& consumer = core.name;
  // The turn and the inbox rows travel together (with BEGIN, on PostgreSQL).
  std::vector<sql::Statement> opening;
  if (core.one_batch_at_a_time) {
    if (auto turn = turn_statement(core.db, consumer))
      opening.push_back(std::move(*turn));
  }
  opening.push_back(inbox_statement(consumer, entries));
  std::vector<sql::Result> opened = co_await tx.exec_all(std::move(opening));
  std::set<std::string> fresh;
  for (const sql::Row& row : opened.back().rows)
    fresh.insert(row.text(0));
  for (Entry& entry : entries) {
    if (entry.same_as)
      continue;
    if (!fresh.contains(entry.event->id)) {
      entry.duplicate = true;  // done
      continue;
    }
    if (entry.step)
      co_await apply_one(tx, consumer, entry);
    else
      co_await record_dead(tx, consumer, entry);
  }
}

// After the transaction: what became of each delivery, by type.
void count(const ConsumerStats& stats, std::span<const Delivery> batch,
           const std::vector<Entry>& entries) {
  auto now_ms = core::unix_millis();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    auto* of_type = stats.of(entry.event->type);
    if (of_type == nullptr)
      continue;
    if (batch[i].attempt > 1)
      ++of_type->redelivered;
    if (entry.same_as || entry.duplicate) {
      ++of_type->duplicates;
    } else if (entry.applied) {
      ++of_type->handled;
      if (auto sent_ms = core::millis_from_rfc3339(entry.event->time))
        of_type->lag_seconds.observe(
            static_cast<double>(std::max<std::int64_t>(0, now_ms - *sent_ms)) / 1000);
    } else if (!entry.dead_reason.empty()) {
      ++of_type->dead;
    } else if (entry.settlement.outcome != Outcome::done) {
      ++of_type->retried;
    }
  }
}

struct TurnHolder {
  explicit TurnHolder(sql::WriterLock& lock) : lock(lock) {}
  TurnHolder(const TurnHolder&) = delete;
  TurnHolder& operator=(const TurnHolder&) = delete;
  ~TurnHolder() { lock.unlock(); }
  sql::WriterLock& lock;
};

// Takes the core by value: the batch keeps the consumer alive while it runs.
asio::awaitable<std::vector<Settlement>> handle_batch(std::shared_ptr<const Consumer::Core> core,
                                                      std::span<const Delivery> batch) {
  std::vector<Entry> entries = prepare(*core, batch);
  std::optional<TurnHolder> turn;
  if (core->one_batch_at_a_time) {
    co_await core->turn.lock();
    turn.emplace(core->turn);
  }
  std::exception_ptr failure;
  try {
    co_await core->db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      co_await run_batch(*core, tx, entries);
    });
  } catch (const sql::Error& e) {
    // The database is down or restarting: nothing was applied; not the events' fault.
    failure =
        unreachable(e) ? std::make_exception_ptr(Unavailable(e.what())) : std::current_exception();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure)
    co_return settle_all(batch.size(), failure);
  count(*core->stats, batch, entries);
  bool any_applied = false;
  std::vector<Settlement> settlements;
  settlements.reserve(entries.size());
  for (Entry& entry : entries) {
    if (entry.applied) {
      run_hook(core->name, [&] { entry.step->committed(); });
      any_applied = true;
    }
    settlements.push_back(entry.same_as ? entries[*entry.same_as].settlement : entry.settlement);
  }
  if (any_applied) {
    for (const auto& fn : core->after_commit)
      run_hook(core->name, fn);
  }
  co_return settlements;
}

}  // namespace

Consumer::Consumer(sql::Database& db, std::string name)
    : core_(std::make_shared<Core>(db, std::move(name))) {}

void Consumer::add_route(std::string_view type, detail::Route route) {
  core_->routes.emplace(std::string(type), std::move(route));
}

Consumer& Consumer::one_batch_at_a_time() {
  core_->one_batch_at_a_time = true;
  return *this;
}

Consumer& Consumer::after_commit(std::function<void()> fn) {
  core_->after_commit.push_back(std::move(fn));
  return *this;
}

Subscription Consumer::subscription() const {
  std::vector<std::string> types;
  auto stats = std::make_shared<ConsumerStats>();
  for (const auto& [type, route] : core_->routes) {
    types.push_back(type);
    stats->by_type.emplace(type, std::make_unique<ConsumedTypeStats>());
  }
  core_->stats = stats;
  std::shared_ptr<const Core> core = core_;
  // Not a coroutine lambda: handle_batch copies the core into its own frame (g++ 12).
  BatchHandler handler = [core](std::span<const Delivery> batch) {
    return handle_batch(core, batch);
  };
  return Subscription{core_->name, std::move(types), std::move(handler), std::move(stats)};
}

}  // namespace ordo::bus
