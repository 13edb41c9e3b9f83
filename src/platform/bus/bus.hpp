// The event bus interface: publish with confirmation, one durable subscription per service.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/bus/cloud_event.hpp"

namespace ordo::bus {

// A consumer's handler. Returning means the event's effect is committed (it ran in a transaction
// with the inbox record). Throwing PoisonEvent means the event can never succeed: it is recorded
// as dead and not redelivered. Unavailable means "a dependency is down: try again later, this
// attempt does not count". Any other exception means "try again later" (a bounded number of
// times, then the event is dead-lettered).
using EventHandler = std::function<boost::asio::awaitable<void>(const CloudEvent&)>;

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

struct Subscription {
  std::string service;             // the durable subscription's name: one per service
  std::vector<std::string> types;  // event types it wants; each is delivered to it once
  EventHandler handler;
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Completes once the bus has taken responsibility for the event (broker confirm; for the local
  // bus: every subscription has handled it). Throws when it could not; the caller retries.
  virtual boost::asio::awaitable<void> publish(const CloudEvent& event) = 0;
  virtual void subscribe(Subscription subscription) = 0;
  virtual boost::asio::awaitable<bool> ping() = 0;
  virtual std::string kind() const = 0;  // "local", "nats", "amqp"
};

}  // namespace ordo::bus
