// The event bus interface: publish with confirmation; durable subscriptions that take events in
// batches and settle each event of a batch on its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/bus/cloud_event.hpp"
#include "platform/core/histogram.hpp"

namespace ordo::bus {

// One event handed to a subscription.
struct Delivery {
  CloudEvent event;
  std::uint64_t attempt = 1;  // 1 on the first delivery; more on redeliveries the bus counts
};

// How one delivery of a batch ended.
enum class Outcome {
  done,         // handled (applied, a duplicate, or recorded as dead by the consumer): acked
  retry,        // failed: delivered again later; after bus.max_deliver attempts, dead-lettered
  dead,         // can never succeed: the bus dead-letters it now and never redelivers it
  unavailable,  // a dependency (its database) is down: retried, and the attempt does not count
};

struct Settlement {
  Outcome outcome = Outcome::done;
  std::string reason;  // why, when not done: for the logs and the dead-letter record
};

// A subscription's handler. It gets the deliveries waiting (in delivery order, at most
// BatchOptions::max_events) and returns one settlement per delivery, in the same order; the bus
// acknowledges, redelivers or dead-letters each accordingly. Throwing Unavailable settles the
// whole batch as unavailable; any other exception as retry.
using BatchHandler =
    std::function<boost::asio::awaitable<std::vector<Settlement>>(std::span<const Delivery>)>;

// A handler of one event (tests, consumers without a database). Returning means done; throwing
// PoisonEvent means dead, Unavailable unavailable, anything else retry.
using EventHandler = std::function<boost::asio::awaitable<void>(const CloudEvent&)>;

// Thrown by a handler for an event that can never succeed (its data cannot be applied).
class PoisonEvent : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a handler that could not run because something it needs (its database) cannot be
// reached. The event is retried later like any failure, but the attempt does not count toward
// dead-lettering: an outage must not turn good events into dead ones.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How many events a batch takes, and how long it may wait to fill. A lone waiting event never
// waits: only when two or more are waiting (the consumer is behind) may a batch that is not full
// wait up to max_wait for more. Config: bus.batch_size, bus.batch_wait_ms.
struct BatchOptions {
  std::size_t max_events = 64;
  std::chrono::milliseconds max_wait{0};
};

// What a consumer did with one event type, for /metrics. Counted after the batch's transaction.
struct ConsumedTypeStats {
  std::atomic<std::uint64_t> handled{0};      // applied and committed
  std::atomic<std::uint64_t> duplicates{0};   // redeliveries of events already handled
  std::atomic<std::uint64_t> redelivered{0};  // deliveries the bus says are not the first
  std::atomic<std::uint64_t> retried{0};      // failed; left for the bus to deliver again
  std::atomic<std::uint64_t> dead{0};         // can never succeed: recorded in dead_events
  core::Histogram lag_seconds{core::long_latency_buckets()};  // the event's time to its commit
};

// One entry per type the consumer declared, fixed when the subscription is made.
struct ConsumerStats {
  std::map<std::string, std::unique_ptr<ConsumedTypeStats>, std::less<>> by_type;
  ConsumedTypeStats* of(std::string_view type) const {
    auto found = by_type.find(type);
    return found == by_type.end() ? nullptr : found->second.get();
  }
};

struct Subscription {
  std::string service;             // the durable subscription's name: one per consumer
  std::vector<std::string> types;  // event types it wants; each is delivered to it once
  BatchHandler handler;
  std::shared_ptr<const ConsumerStats> stats{};  // null for handlers that keep none
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Completes once the bus has taken responsibility for the event (broker confirm; for the local
  // bus: every subscription has handled it). Throws when it could not; the caller retries.
  virtual boost::asio::awaitable<void> publish(const CloudEvent& event) = 0;
  virtual void subscribe(Subscription subscription) = 0;
  // Completes once every subscription made so far is in place at the broker, or after at_most.
  // On RabbitMQ an event published before its consumer's queue is bound is routed nowhere, so a
  // service reports ready only after its queues are bound; a broker that is down must not keep
  // it from answering (its queues are declared when it connects). The other buses keep every
  // event whoever subscribes later: nothing to wait for.
  virtual boost::asio::awaitable<void> subscribed(std::chrono::milliseconds at_most) {
    (void)at_most;
    co_return;
  }
  virtual boost::asio::awaitable<bool> ping() = 0;
  virtual std::string kind() const = 0;  // "local", "nats", "amqp"
};

// A batch handler that runs handler on each event in turn (no shared transaction).
BatchHandler each_event(EventHandler handler);

// Hands one event to a batch handler and turns its settlement back into the per-event contract:
// returns when done; throws PoisonEvent (dead), Unavailable, or std::runtime_error (retry).
boost::asio::awaitable<void> deliver_one(const BatchHandler& handler, const CloudEvent& event);

// The settlement of every delivery of a batch whose handler threw.
std::vector<Settlement> settle_all(std::size_t count, std::exception_ptr failure);

}  // namespace ordo::bus
