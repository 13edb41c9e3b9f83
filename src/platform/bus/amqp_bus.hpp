// The RabbitMQ bus (distributed mode): a topic exchange, one durable quorum queue per service,
// publisher confirms, batches of deliveries acknowledged together, a dead-letter exchange and a
// delivery limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "platform/bus/bus.hpp"

namespace ordo::bus {

struct AmqpBusOptions {
  std::string url;                  // amqp://user:pass@host:port/vhost
  std::string name_space = "ordo";  // prefixes the exchanges and queues: "<ns>.events" ...
  int delivery_limit = 5;           // deliveries of a failing event before it is dead-lettered
  // Unacknowledged deliveries per consumer channel; raised to two batches when smaller, so the
  // next batch arrives while one is handled.
  std::size_t prefetch = 256;
  BatchOptions batch;  // events per handler call, and how long a batch may wait to fill
  std::size_t confirm_window = 512;  // publishes in flight awaiting the broker's confirm
  // A publish not confirmed within this fails (the relay sends it again); one pending when the
  // connection is lost fails at once.
  std::chrono::milliseconds publish_timeout{10'000};
};

// Returns at once; connects (and reconnects) in the background. Throws std::invalid_argument
// when the URL is not an amqp:// URL.
std::unique_ptr<Bus> make_amqp_bus(boost::asio::any_io_executor executor,
                                   const AmqpBusOptions& options);

}  // namespace ordo::bus
