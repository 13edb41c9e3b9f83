// One blocking RabbitMQ connection (rabbitmq-c 0.11), for the one thread that owns it: the AMQP
// methods the bus needs, with failures as exceptions.
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ordo::bus::amqp {

struct Endpoint {
  std::string host;
  int port = 5672;
  std::string user;
  std::string password;
  std::string vhost = "/";
};

// amqp://user:pass@host:port/vhost (vhost percent-decoded; "/" when the path is empty).
// Throws std::invalid_argument.
Endpoint parse_url(const std::string& url);

struct QueueOptions {
  bool quorum = false;
  int delivery_limit = 0;            // quorum only; 0 = unlimited
  std::string dead_letter_exchange;  // "" = none
};

// A message read with basic.get (tests and tools; the bus consumes).
struct Message {
  std::string message_id;
  std::string routing_key;
  std::string body;
};

class Connection {
 public:
  // Connects, logs in and sets TCP_NODELAY; every RPC is bounded by `timeout`. Throws.
  Connection(const Endpoint& endpoint, std::chrono::milliseconds timeout, int heartbeat_seconds);
  ~Connection();  // closes gracefully when the connection is still healthy
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int socket() const;
  void open_channel(amqp_channel_t channel);
  void confirm_select(amqp_channel_t channel);
  void qos(amqp_channel_t channel, std::uint16_t prefetch);
  void declare_exchange(amqp_channel_t channel, const std::string& name, const std::string& type);
  void declare_queue(amqp_channel_t channel, const std::string& name, const QueueOptions& options);
  void bind_queue(amqp_channel_t channel, const std::string& queue, const std::string& exchange,
                  const std::string& routing_key);
  // Manual acks; returns the broker's consumer tag.
  std::string consume(amqp_channel_t channel, const std::string& queue);
  // Persistent; mandatory=false. Does not wait for the confirm.
  void publish(amqp_channel_t channel, const std::string& exchange, const std::string& routing_key,
               const std::string& message_id, const std::string& body);
  // multiple: every unacknowledged delivery of the channel up to delivery_tag.
  void ack(amqp_channel_t channel, std::uint64_t delivery_tag, bool multiple = false);
  void nack(amqp_channel_t channel, std::uint64_t delivery_tag, bool requeue);
  void reject(amqp_channel_t channel, std::uint64_t delivery_tag, bool requeue);

  // The next frame when one is ready now (false when none is); serves heartbeats. Throws when
  // the connection failed. The frame's memory is valid until release_buffers().
  bool poll_frame(amqp_frame_t& frame);
  void release_buffers();
  // Answers the broker's connection.close; the connection is then unusable (no graceful close).
  void close_ok();

  // For tests and tools.
  std::uint32_t queue_size(amqp_channel_t channel, const std::string& queue);    // throws if absent
  std::optional<Message> get(amqp_channel_t channel, const std::string& queue);  // and acks it
  void delete_queue(amqp_channel_t channel, const std::string& queue);
  void delete_exchange(amqp_channel_t channel, const std::string& exchange);

 private:
  void check_reply(const char* what);
  void check_status(int status, const char* what);

  amqp_connection_state_t state_;
  bool healthy_ = false;
};

}  // namespace ordo::bus::amqp
