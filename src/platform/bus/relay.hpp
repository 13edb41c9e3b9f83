// Publishes a service's outbox rows to the bus in order (per entity) and deletes the confirmed
// ones, a batch at a time; unconfirmed rows are re-sent with backoff, including after a crash.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/bus/bus.hpp"
#include "platform/core/histogram.hpp"
#include "platform/sql/database.hpp"

namespace ordo::bus {

struct RelayOptions {
  std::size_t batch = 256;
  // A safety net: a commit that enqueued events wakes the relay at once (kOutboxChannel).
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds max_backoff{5'000};
  // Where the relay's own statements go: a connection of its own to the same database, so that
  // it never queues behind the service's handlers (host: a one-connection PostgreSQL pool).
  // Null: the service's database itself (SQLite has one writer thread anyway).
  sql::Database* connection = nullptr;
};

class OutboxRelay {
 public:
  // Listens on db's kOutboxChannel: every commit that enqueued events wakes it.
  OutboxRelay(boost::asio::any_io_executor executor, sql::Database& db, Bus& bus,
              RelayOptions options = {});
  ~OutboxRelay();
  void start();
  void notify();  // wakes an idle relay; committed enqueues do it by themselves
  boost::asio::awaitable<void> stop();  // finishes the batch in flight
  std::size_t published() const;
  // Each publish until the bus confirmed it (a broker's confirm, or the local bus's commit).
  const core::Histogram& publish_latency() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::bus
