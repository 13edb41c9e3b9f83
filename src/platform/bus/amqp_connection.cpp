// rabbitmq-c behind exceptions: every call checks its reply, and a failed call marks the
// connection unhealthy so that the destructor does not try a graceful close on a dead socket.
#include "platform/bus/amqp_connection.hpp"

#include <amqp_tcp_socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <deque>
#include <stdexcept>
#include <vector>

namespace ordo::bus::amqp {
namespace {

amqp_bytes_t bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string text(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

timeval to_timeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

std::string describe_close(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
    return "broker closed the connection: " + std::to_string(close->reply_code) + " " +
           text(close->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
    return "broker closed the channel: " + std::to_string(close->reply_code) + " " +
           text(close->reply_text);
  }
  return "unexpected method " + std::to_string(method.id);
}

std::string describe(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return describe_close(reply.reply);
  }
  return "unknown reply";
}

// Arguments of a declare; owns the strings the entries point to.
struct Table {
  std::vector<amqp_table_entry_t> entries;
  std::deque<std::string> strings;
  void text(const char* key, std::string value) {
    amqp_table_entry_t entry{};
    entry.key = amqp_cstring_bytes(key);
    entry.value.kind = AMQP_FIELD_KIND_UTF8;
    entry.value.value.bytes = bytes(strings.emplace_back(std::move(value)));
    entries.push_back(entry);
  }
  void integer(const char* key, int value) {
    amqp_table_entry_t entry{};
    entry.key = amqp_cstring_bytes(key);
    entry.value.kind = AMQP_FIELD_KIND_I32;
    entry.value.value.i32 = value;
    entries.push_back(entry);
  }
  amqp_table_t table() {
    return amqp_table_t{static_cast<int>(entries.size()),
                        entries.empty() ? nullptr : entries.data()};
  }
};

}  // namespace

Endpoint parse_url(const std::string& url) {
  std::vector<char> buffer(url.begin(), url.end());
  buffer.push_back('\0');
  amqp_connection_info info{};
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) {
    throw std::invalid_argument("not an AMQP URL (amqp://user:pass@host:port/vhost): " + url);
  }
  if (info.ssl) {
    throw std::invalid_argument("amqps:// is not supported: " + url);
  }
  Endpoint endpoint;
  endpoint.host = info.host;
  endpoint.port = info.port;
  endpoint.user = info.user;
  endpoint.password = info.password;
  endpoint.vhost = info.vhost;
  if (endpoint.vhost.empty()) {
    endpoint.vhost = "/";
  }
  return endpoint;
}

Connection::Connection(const Endpoint& endpoint, std::chrono::milliseconds timeout,
                       int heartbeat_seconds)
    : state_(amqp_new_connection()) {
  try {
    if (state_ == nullptr) {
      throw std::runtime_error("amqp: out of memory");
    }
    amqp_socket_t* socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr) {
      throw std::runtime_error("amqp: cannot create a socket");
    }
    timeval bound = to_timeval(timeout);
    amqp_set_handshake_timeout(state_, &bound);
    amqp_set_rpc_timeout(state_, &bound);
    int status = amqp_socket_open_noblock(socket, endpoint.host.c_str(), endpoint.port, &bound);
    if (status != AMQP_STATUS_OK) {
      throw std::runtime_error("amqp: cannot connect to " + endpoint.host + ":" +
                               std::to_string(endpoint.port) + ": " + amqp_error_string2(status));
    }
    // Without it Nagle holds back each small publish until the previous one is acknowledged.
    int one = 1;
    setsockopt(amqp_socket_get_sockfd(socket), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    amqp_rpc_reply_t reply =
        amqp_login(state_, endpoint.vhost.c_str(), 0, 131072, heartbeat_seconds,
                   AMQP_SASL_METHOD_PLAIN, endpoint.user.c_str(), endpoint.password.c_str());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      throw std::runtime_error("amqp: login to " + endpoint.host + ":" +
                               std::to_string(endpoint.port) + " vhost " + endpoint.vhost +
                               " failed: " + describe(reply));
    }
    healthy_ = true;
  } catch (...) {
    if (state_ != nullptr) {
      amqp_destroy_connection(state_);
    }
    throw;
  }
}

Connection::~Connection() {
  if (healthy_) {
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

int Connection::socket() const {
  return amqp_get_sockfd(state_);
}

void Connection::check_reply(const char* what) {
  amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    healthy_ = false;
    throw std::runtime_error(std::string("amqp: ") + what + ": " + describe(reply));
  }
}

void Connection::check_status(int status, const char* what) {
  if (status != AMQP_STATUS_OK) {
    healthy_ = false;
    throw std::runtime_error(std::string("amqp: ") + what + ": " + amqp_error_string2(status));
  }
}

void Connection::open_channel(amqp_channel_t channel) {
  amqp_channel_open(state_, channel);
  check_reply("channel.open");
}

void Connection::confirm_select(amqp_channel_t channel) {
  amqp_confirm_select(state_, channel);
  check_reply("confirm.select");
}

void Connection::qos(amqp_channel_t channel, std::uint16_t prefetch) {
  amqp_basic_qos(state_, channel, 0, prefetch, 0);
  check_reply("basic.qos");
}

void Connection::declare_exchange(amqp_channel_t channel, const std::string& name,
                                  const std::string& type) {
  amqp_exchange_declare(state_, channel, bytes(name), bytes(type), 0, 1, 0, 0, amqp_empty_table);
  check_reply("exchange.declare");
}

void Connection::declare_queue(amqp_channel_t channel, const std::string& name,
                               const QueueOptions& options) {
  Table arguments;
  if (options.quorum) {
    arguments.text("x-queue-type", "quorum");
    if (options.delivery_limit > 0) {
      arguments.integer("x-delivery-limit", options.delivery_limit);
    }
  }
  if (!options.dead_letter_exchange.empty()) {
    arguments.text("x-dead-letter-exchange", options.dead_letter_exchange);
  }
  amqp_queue_declare(state_, channel, bytes(name), 0, 1, 0, 0, arguments.table());
  check_reply("queue.declare");
}

void Connection::bind_queue(amqp_channel_t channel, const std::string& queue,
                            const std::string& exchange, const std::string& routing_key) {
  amqp_queue_bind(state_, channel, bytes(queue), bytes(exchange), bytes(routing_key),
                  amqp_empty_table);
  check_reply("queue.bind");
}

std::string Connection::consume(amqp_channel_t channel, const std::string& queue) {
  amqp_basic_consume_ok_t* ok = amqp_basic_consume(state_, channel, bytes(queue), amqp_empty_bytes,
                                                   0, 0, 0, amqp_empty_table);
  check_reply("basic.consume");
  return text(ok->consumer_tag);
}

void Connection::publish(amqp_channel_t channel, const std::string& exchange,
                         const std::string& routing_key, const std::string& message_id,
                         const std::string& body) {
  amqp_basic_properties_t properties{};
  properties._flags =
      AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
  properties.content_type = amqp_cstring_bytes("application/cloudevents+json");
  properties.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  properties.message_id = bytes(message_id);
  check_status(amqp_basic_publish(state_, channel, bytes(exchange), bytes(routing_key), 0, 0,
                                  &properties, bytes(body)),
               "basic.publish");
}

void Connection::ack(amqp_channel_t channel, std::uint64_t delivery_tag, bool multiple) {
  check_status(amqp_basic_ack(state_, channel, delivery_tag, multiple ? 1 : 0), "basic.ack");
}

void Connection::nack(amqp_channel_t channel, std::uint64_t delivery_tag, bool requeue) {
  check_status(amqp_basic_nack(state_, channel, delivery_tag, 0, requeue ? 1 : 0), "basic.nack");
}

void Connection::reject(amqp_channel_t channel, std::uint64_t delivery_tag, bool requeue) {
  check_status(amqp_basic_reject(state_, channel, delivery_tag, requeue ? 1 : 0), "basic.reject");
}

bool Connection::poll_frame(amqp_frame_t& frame) {
  timeval now{0, 0};
  int status = amqp_simple_wait_frame_noblock(state_, &frame, &now);
  if (status == AMQP_STATUS_TIMEOUT) {
    return false;
  }
  check_status(status, "reading a frame");
  return true;
}

void Connection::release_buffers() {
  amqp_maybe_release_buffers(state_);
}

void Connection::close_ok() {
  healthy_ = false;  // a close of our own would wait for a close-ok that never comes
  amqp_connection_close_ok_t ok{};
  amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
}

std::uint32_t Connection::queue_size(amqp_channel_t channel, const std::string& queue) {
  amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(state_, channel, bytes(queue), 1, 0, 0, 0, amqp_empty_table);
  check_reply("queue.declare (passive)");
  return ok->message_count;
}

std::optional<Message> Connection::get(amqp_channel_t channel, const std::string& queue) {
  amqp_rpc_reply_t reply = amqp_basic_get(state_, channel, bytes(queue), 0);
  check_reply("basic.get");
  if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) {
    return std::nullopt;
  }
  auto* get_ok = static_cast<amqp_basic_get_ok_t*>(reply.reply.decoded);
  std::uint64_t delivery_tag = get_ok->delivery_tag;
  Message out;
  out.routing_key = text(get_ok->routing_key);
  amqp_message_t message;
  reply = amqp_read_message(state_, channel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    healthy_ = false;
    throw std::runtime_error("amqp: reading a message: " + describe(reply));
  }
  if (message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    out.message_id = text(message.properties.message_id);
  }
  out.body = text(message.body);
  amqp_destroy_message(&message);
  ack(channel, delivery_tag);
  return out;
}

void Connection::delete_queue(amqp_channel_t channel, const std::string& queue) {
  amqp_queue_delete(state_, channel, bytes(queue), 0, 0);
  check_reply("queue.delete");
}

void Connection::delete_exchange(amqp_channel_t channel, const std::string& exchange) {
  amqp_exchange_delete(state_, channel, bytes(exchange), 0);
  check_reply("exchange.delete");
}

}  // namespace ordo::bus::amqp
