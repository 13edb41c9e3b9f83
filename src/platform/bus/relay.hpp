// Publishes a service's outbox rows to the bus in order and deletes each only once the bus
// confirmed it; unconfirmed rows are re-sent with backoff, including after a crash.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"

namespace ordo::bus {

struct RelayOptions {
  std::size_t batch = 256;
  std::chrono::milliseconds poll_interval{500};  // a safety net: notify() wakes it sooner
  std::chrono::milliseconds max_backoff{5'000};
};

class OutboxRelay {
 public:
  OutboxRelay(boost::asio::any_io_executor executor, sql::Database& db, Bus& bus,
              RelayOptions options = {});
  ~OutboxRelay();
  void start();
  void notify();                        // call after committing a transaction that enqueued events
  boost::asio::awaitable<void> stop();  // finishes the batch in flight
  std::size_t published() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ordo::bus
