// A service's event consumer, declared as a list of typed handlers: event type -> decoder ->
// handler(tx, payload, event). The consumer owns everything around them:
//
// - Batches: a batch of deliveries runs in ONE transaction, each event under its own savepoint;
//   the inbox rows of the batch are written in one statement, and the bus acknowledges the
//   batch's events together after the COMMIT.
// - The inbox: each event id is applied once per consumer; a redelivery is a duplicate (done).
// - One policy for events that can never succeed: no handler for its type, a decoder that
//   throws (malformed data), or a handler that throws PoisonEvent. Such an event is recorded in
//   dead_events once (its inbox row makes a redelivery a duplicate) and settled as done: it is
//   acknowledged and never retried.
// - Failures: a handler that throws anything else is rolled back to its savepoint alone and
//   settled as retry (the bus redelivers it, then dead-letters it after bus.max_deliver); the
//   rest of the batch commits. A handler that lost a race for a lock (sql::Error busy: deadlock,
//   serialization failure) is rolled back alone too, as unavailable (redelivered, not counted).
//   When the database cannot be reached (sql::Error connection, a handler throwing Unavailable,
//   or the transaction itself failing busy), nothing commits and every event is unavailable.
// - After-commit hooks: per handler (with the typed payload) and per consumer, run only for
//   events whose effect committed, never for duplicates or dead ones.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"

namespace ordo::bus {

namespace detail {
// One decoded event of a batch, bound to its handler.
class Step {
 public:
  virtual ~Step() = default;
  virtual boost::asio::awaitable<void> apply(sql::Transaction& tx) = 0;
  virtual void committed() = 0;
};

// Decodes an event into its step; throws when its data does not decode.
using Route = std::function<std::unique_ptr<Step>(const CloudEvent&)>;

template <typename Data, typename Apply, typename Committed>
class TypedStep final : public Step {
 public:
  TypedStep(Data data, const CloudEvent& event, const Apply& apply, const Committed& committed)
      : data_(std::move(data)), event_(event), apply_(apply), committed_(committed) {}
  // Not a coroutine: the handler's frame refers to data_ and event_, which outlive the batch.
  boost::asio::awaitable<void> apply(sql::Transaction& tx) override {
    return apply_(tx, data_, event_);
  }
  void committed() override { committed_(data_); }

 private:
  Data data_;
  const CloudEvent& event_;
  const Apply& apply_;  // held by the route, which outlives every batch
  const Committed& committed_;
};
}  // namespace detail

class Consumer {
 public:
  // name: the consumer's name in the inbox and dead_events, and its durable subscription's.
  Consumer(sql::Database& db, std::string name);

  // decode(const boost::json::value& data) -> Data, throwing on malformed data (anything it
  // throws makes the event dead); apply(sql::Transaction&, const Data&, const CloudEvent&) ->
  // awaitable<void>; committed(const Data&), optional, runs after the effect committed.
  // Declare every handler before subscription().
  template <typename Decode, typename Apply>
  Consumer& on(std::string_view type, Decode decode, Apply apply) {
    return on(type, std::move(decode), std::move(apply), [](const auto&) {});
  }
  template <typename Decode, typename Apply, typename Committed>
  Consumer& on(std::string_view type, Decode decode, Apply apply, Committed committed) {
    using Data = std::decay_t<std::invoke_result_t<Decode&, const boost::json::value&>>;
    using Step = detail::TypedStep<Data, Apply, Committed>;
    add_route(type, [decode = std::move(decode), apply = std::move(apply),
                     committed = std::move(committed)](const CloudEvent& event) {
      return std::unique_ptr<detail::Step>(
          std::make_unique<Step>(decode(event.data), event, apply, committed));
    });
    return *this;
  }

  // Runs once after every committed batch in which at least one event took effect.
  Consumer& after_commit(std::function<void()> fn);

  // Batches of this consumer run one at a time across every instance sharing the database
  // (PostgreSQL: a transaction-level advisory lock named by schema and consumer; a SQLite file
  // has one writer anyway). For handlers that update the same hot rows in varying order (stock):
  // concurrent batches would hold row locks for a whole batch and wait on each other in opposite
  // orders, each deadlock stalling both for PostgreSQL's deadlock_timeout.
  Consumer& one_batch_at_a_time();

  // The durable subscription: the declared types and the batch handler.
  Subscription subscription() const;

  struct Core;

 private:
  void add_route(std::string_view type, detail::Route route);
  std::shared_ptr<Core> core_;
};

}  // namespace ordo::bus
