// The outbox relay: one coroutine per service, on a strand, that drains the outbox in batches:
// read up to `batch` rows, publish them (one entity's events in order, entities concurrently),
// then delete the confirmed ones in one statement.
#include "platform/bus/relay.hpp"

#include "platform/core/histogram.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::bus {
namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMinPoll{1};        // a zero poll interval must not spin
constexpr const char* kRelayConsumer = "outbox-relay";  // dead_events.consumer for bad rows
constexpr std::chrono::milliseconds kLeaseTtl{5'000};

struct OutboxRow {
  std::int64_t seq;
  std::string payload;
};

// What one pass over a batch achieved: the rows to delete, and the row that failed to publish.
struct BatchOutcome {
  std::size_t rows = 0;
  std::vector<std::int64_t> published;
  std::vector<OutboxRow> unreadable;
  std::optional<std::int64_t> failed_seq;
  std::string failure;
};

// The events of one subject in a batch, in outbox order.
struct SubjectQueue {
  std::vector<std::pair<std::int64_t, CloudEvent>> events;
};

asio::awaitable<void> sleep(asio::steady_timer& timer, std::chrono::milliseconds duration) {
  timer.expires_after(duration);
  boost::system::error_code ec;  // operation_aborted is the wake-up, not an error
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}
}  // namespace

// Everything below the constructor's arguments is touched only on `strand`, except `published`.
struct OutboxRelay::State {
  State(asio::any_io_executor executor, sql::Database& db, Bus& bus, RelayOptions options)
      : strand(asio::make_strand(std::move(executor))),
        db(options.connection != nullptr ? *options.connection : db),
        bus(bus),
        options(options),
        wake(strand),
        finished_signal(strand, std::chrono::steady_clock::time_point::max()) {}

  asio::strand<asio::any_io_executor> strand;
  sql::Database& db;  // where the relay's statements go: its own connection when it has one
  Bus& bus;
  RelayOptions options;
  asio::steady_timer wake;             // the idle or backoff sleep; cancel() ends it early
  asio::steady_timer finished_signal;  // stop() waits on it; cancelled when the loop has ended
  bool running = false;
  bool stopping = false;
  bool notified = false;
  bool sleeping_idle = false;                  // notify() cuts short an idle sleep, never a backoff
  const std::string holder = core::uuid_v7();  // this relay's name in relay_lease
  std::optional<std::chrono::steady_clock::time_point> lease_renewed;  // when this relay last did
  std::atomic<std::size_t> published{0};
  core::Histogram publish_seconds;  // each publish, until the bus confirmed it

  static asio::awaitable<void> run(std::shared_ptr<State> self) {
    std::chrono::milliseconds backoff{0};
    while (!self->stopping) {
      self->notified = false;
      std::optional<BatchOutcome> outcome;
      try {
        outcome = co_await self->relay_batch();
      } catch (const std::exception& e) {
        // The database itself failed (read or delete): back off like a failed publish, and
        // make sure of the lease again before the next batch.
        log::warn(self->db.name(), "outbox relay failed", {{"error", e.what()}});
        self->lease_renewed.reset();
      }
      if (self->stopping) {
        break;
      }
      if (!outcome || outcome->failed_seq) {
        backoff = std::min(backoff == backoff.zero() ? kFirstBackoff : backoff * 2,
                           self->options.max_backoff);
        co_await sleep(self->wake, backoff);
        continue;
      }
      backoff = backoff.zero();
      if (outcome->rows < self->options.batch && !self->notified) {
        self->sleeping_idle = true;
        co_await sleep(self->wake, std::max(self->options.poll_interval, kMinPoll));
        self->sleeping_idle = false;
      }
    }
    self->running = false;
    self->finished_signal.cancel();
  }

  // PostgreSQL may be shared by several instances of the service: only the holder of the lease
  // relays, so events about one entity still leave in order. A holder that dies loses it after
  // kLeaseTtl. (A SQLite file belongs to one process: no lease needed.)
  // A lease renewed less than half its lifetime ago is still ours: no statement for it then.
  asio::awaitable<bool> hold_lease() {
    if (db.dialect() != sql::Dialect::postgres)
      co_return true;
    if (lease_renewed && std::chrono::steady_clock::now() - *lease_renewed < kLeaseTtl / 2)
      co_return true;
    lease_renewed.reset();
    auto renewing = std::chrono::steady_clock::now();
    auto now = core::unix_millis();
    auto expires = now + kLeaseTtl.count();
    std::int64_t affected = 0;
    co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      auto result = co_await tx.exec(
          "UPDATE relay_lease SET holder = $1, expires_at_ms = $2 "
          "WHERE name = 'outbox' AND (holder = $1 OR expires_at_ms < $3)",
          sql::params(holder, expires, now));
      affected = result.affected_rows;
    });
    if (affected == 1)
      lease_renewed = renewing;
    co_return affected == 1;
  }

  asio::awaitable<BatchOutcome> relay_batch() {
    if (!co_await hold_lease())
      co_return BatchOutcome{};
    sql::Result rows = co_await db.query("SELECT seq, payload FROM outbox ORDER BY seq LIMIT $1",
                                         sql::params(options.batch));
    BatchOutcome outcome;
    outcome.rows = rows.rows.size();
    // Events about one entity (same subject) go out one after another, in outbox order; events
    // about different entities go out concurrently, so that consumers' transactions overlap and
    // share commits (group commit) instead of queueing one by one behind a single publish.
    std::vector<SubjectQueue> queues;
    std::map<std::string, std::size_t> queue_of_subject;
    for (const sql::Row& row : rows.rows) {
      OutboxRow current{row.integer(0), row.text(1)};
      std::string error;
      std::optional<CloudEvent> event = parse_event(current.payload, &error);
      if (!event) {
        log::error(db.name(), "unreadable outbox row moved to dead_events",
                   {{"seq", current.seq}, {"reason", error}});
        outcome.unreadable.push_back(std::move(current));
        continue;
      }
      auto [it, added] = queue_of_subject.try_emplace(event->subject, queues.size());
      if (added)
        queues.emplace_back();
      queues[it->second].events.emplace_back(current.seq, std::move(*event));
    }
    if (!queues.empty()) {
      using Operation = decltype(asio::co_spawn(strand, publish_in_order(queues.front(), outcome),
                                                asio::deferred));
      std::vector<Operation> operations;
      for (auto& queue : queues) {
        operations.push_back(
            asio::co_spawn(strand, publish_in_order(queue, outcome), asio::deferred));
      }
      co_await asio::experimental::make_parallel_group(std::move(operations))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    }
    co_await forget(outcome);
    published += outcome.published.size();
    if (outcome.failed_seq) {
      co_await note_failure(outcome);
    }
    co_return outcome;
  }

  // Publishes one subject's events in order; stops at its first failure so that a later event
  // about the same entity never overtakes an earlier one. Runs on the strand.
  asio::awaitable<void> publish_in_order(SubjectQueue& queue, BatchOutcome& outcome) {
    for (auto& [seq, event] : queue.events) {
      try {
        auto started = std::chrono::steady_clock::now();
        co_await bus.publish(event);
        publish_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        outcome.published.push_back(seq);
      } catch (const std::exception& e) {
        if (!outcome.failed_seq) {
          outcome.failed_seq = seq;
          outcome.failure = e.what();
        }
        co_return;
      }
    }
  }

  // Deletes the published and unreadable rows in one statement naming each (forget_statement).
  asio::awaitable<void> forget(const BatchOutcome& outcome) {
    std::vector<std::int64_t> seqs = outcome.published;
    for (const OutboxRow& row : outcome.unreadable)
      seqs.push_back(row.seq);
    if (seqs.empty()) {
      co_return;
    }
    co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
      for (const OutboxRow& row : outcome.unreadable) {
        co_await tx.exec(
            "INSERT INTO dead_events (id, consumer, payload, reason, recorded_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            sql::params(core::uuid_v7(), kRelayConsumer, row.payload, "unreadable outbox row",
                        core::rfc3339()));
      }
      sql::Statement forget = forget_statement(db.dialect(), seqs);
      co_await tx.exec(forget.sql, std::move(forget.params));
    });
  }

  // Best effort: the row stays in the outbox either way, and is retried after the backoff.
  asio::awaitable<void> note_failure(const BatchOutcome& outcome) {
    log::warn(db.name(), "publish failed; will retry",
              {{"seq", *outcome.failed_seq}, {"error", outcome.failure}});
    try {
      co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
        co_await tx.exec(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE seq = $2",
            sql::params(outcome.failure, *outcome.failed_seq));
      });
    } catch (const std::exception& e) {
      log::warn(db.name(), "could not record the publish failure", {{"error", e.what()}});
    }
  }

  static void notify(const std::shared_ptr<State>& self) {
    asio::post(self->strand, [state = self] {
      state->notified = true;
      if (state->sleeping_idle) {
        state->wake.cancel();
      }
    });
  }

  // Runs on the strand; stop() awaits it from any executor.
  static asio::awaitable<void> await_stop(std::shared_ptr<State> self) {
    self->stopping = true;
    self->wake.cancel();
    while (self->running) {
      boost::system::error_code ec;
      co_await self->finished_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

OutboxRelay::OutboxRelay(asio::any_io_executor executor, sql::Database& db, Bus& bus,
                         RelayOptions options)
    : state_(std::make_shared<State>(std::move(executor), db, bus, options)) {
  // Weak: the database may outlive this relay (a listener cannot be removed).
  db.listen(std::string(kOutboxChannel), [weak = std::weak_ptr<State>(state_)] {
    if (auto state = weak.lock())
      State::notify(state);
  });
}

OutboxRelay::~OutboxRelay() {
  // The loop holds its own reference to the state; this only asks it to end. Owners should
  // co_await stop() first, since the loop refers to the database and the bus.
  asio::post(state_->strand, [state = state_] {
    state->stopping = true;
    state->wake.cancel();
  });
}

void OutboxRelay::start() {
  asio::post(state_->strand, [state = state_] {
    if (state->running || state->stopping) {
      return;
    }
    state->running = true;
    asio::co_spawn(state->strand, State::run(state), asio::detached);
  });
}

void OutboxRelay::notify() {
  State::notify(state_);
}

asio::awaitable<void> OutboxRelay::stop() {
  return asio::co_spawn(state_->strand, State::await_stop(state_), asio::use_awaitable);
}

const core::Histogram& OutboxRelay::publish_latency() const {
  return state_->publish_seconds;
}

std::size_t OutboxRelay::published() const {
  return state_->published.load();
}

}  // namespace ordo::bus
