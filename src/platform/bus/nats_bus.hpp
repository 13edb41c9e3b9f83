// The NATS JetStream bus: one stream per namespace, one durable pull consumer per (service, type)
// shared by every instance of the service, explicit acks, bounded redelivery, a dead-letter
// subject.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "platform/bus/bus.hpp"

namespace ordo::bus {

struct NatsBusOptions {
  std::string url;                  // nats://127.0.0.1:4222
  std::string name_space = "ordo";  // isolates deployments (and tests) that share one server
  int max_deliver = 5;  // handler attempts; then the event goes to the dead-letter subject
  std::chrono::milliseconds ack_wait{30000};
  std::size_t max_ack_pending = 1000;
  BatchOptions batch;  // events per handler call, and how long a batch may wait to fill
  std::chrono::milliseconds publish_timeout{5000};  // no PubAck by then: publish throws
};

// The JetStream names derived from a namespace: what an operator (or a test) looks for.
struct NatsNames {
  std::string events_stream;  // "ORDO_EVENTS", captures "<ns>.events.>"
  std::string dead_stream;    // "ORDO_DEAD", captures "<ns>.dead.>"
  std::string name_space;

  std::string event_subject(std::string_view type) const;    // "<ns>.events.<type>"
  std::string dead_subject(std::string_view service) const;  // "<ns>.dead.<service>"
  std::string durable(std::string_view service, std::string_view type) const;
};
NatsNames nats_names(std::string_view name_space);

// Returns at once; connects (and reconnects) in the background, so ping() is false until then.
std::unique_ptr<Bus> make_nats_bus(boost::asio::any_io_executor executor,
                                   const NatsBusOptions& options);

}  // namespace ordo::bus
