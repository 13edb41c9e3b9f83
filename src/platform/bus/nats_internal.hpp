// Internals of the NATS bus shared by nats_bus.cpp (connection, publish) and nats_consumer.cpp.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "platform/bus/nats_bus.hpp"

namespace ordo::bus {

struct MsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

std::string status_text(natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));

// One publish waiting for its PubAck; touched only on `executor` once published.
struct PendingPublish {
  explicit PendingPublish(boost::asio::any_io_executor executor)
      : executor(executor), timer(executor) {}
  boost::asio::any_io_executor executor;
  boost::asio::steady_timer timer;  // the timeout; cancelled when the acknowledgement arrives
  bool done = false;
  std::string failure;  // empty: acknowledged
};

// One durable pull consumer (service, type) and its fetch thread's state. It hands the io
// executor one batch at a time: what arrives meanwhile makes the next batch.
struct NatsConsumer {
  std::shared_ptr<const Subscription> handler;
  std::string service;
  std::string type;
  std::string durable;
  std::string filter;
  natsSubscription* subscription = nullptr;  // owned by the fetch thread, destroyed by NatsShared

  std::mutex mutex;
  std::condition_variable wake;
  bool in_flight = false;  // a batch handed to the io executor and not yet acked/nacked
};

// What the bus, its threads, cnats's callbacks and in-flight handlers share. The bus object's
// destructor joins its threads; the last in-flight handler releases this, which closes the
// connection after every message it holds has been acknowledged.
struct NatsShared : std::enable_shared_from_this<NatsShared> {
  using Headers = std::vector<std::pair<std::string, std::string>>;

  NatsShared(boost::asio::any_io_executor executor, NatsBusOptions options);
  ~NatsShared();
  NatsShared(const NatsShared&) = delete;
  NatsShared& operator=(const NatsShared&) = delete;

  boost::asio::any_io_executor executor;
  const NatsBusOptions options;
  const NatsNames names;
  const std::uint64_t callback_id;
  std::atomic<natsConnection*> connection{nullptr};  // set once by the control thread
  std::atomic<jsCtx*> js{nullptr};
  std::atomic<bool> ready{false};  // connected and the streams exist
  std::atomic<bool> stopping{false};

  std::mutex mutex;  // guards needs_setup, consumers (the list), and the waits on `wake`
  std::condition_variable wake;
  bool needs_setup = true;
  std::uint64_t generation = 0;  // counts set-ups: consumers re-check theirs after each
  std::vector<std::shared_ptr<NatsConsumer>> consumers;

  std::mutex pending_mutex;
  std::unordered_map<const natsMsg*, std::shared_ptr<PendingPublish>> pending;

  bool connected() const;
  void connection_changed(bool up);                                  // cnats threads
  void publish_completed(natsMsg* msg, const std::string& failure);  // cnats threads
  void stop();
  bool wait_or_stop(std::chrono::milliseconds duration);  // false when stopping

  // Publishes to JetStream and completes on the PubAck; throws on error, timeout, disconnection.
  static boost::asio::awaitable<void> publish(std::shared_ptr<NatsShared> self, std::string subject,
                                              std::string payload, Headers headers);

  // The control thread: connect, then (re)create the streams whenever the connection comes up.
  void run_control();

 private:
  bool connect();
  bool ensure_stream(const std::string& name, const std::string& subjects);
};

// A consumer's fetch thread: binds the durable consumer, fetches what is waiting (up to
// options.batch.max_events) and posts it as one batch onto the io executor, one batch at a time.
void run_consumer(NatsShared& shared, std::shared_ptr<NatsConsumer> consumer);

}  // namespace ordo::bus
