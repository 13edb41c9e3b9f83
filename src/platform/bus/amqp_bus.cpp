// The RabbitMQ bus. rabbitmq-c is blocking and not thread-safe, so one dedicated thread owns the
// connection (channel 1 publishes with confirms, channel 2 consumes) and talks to the io_context
// only by posting: publishes and acks reach it through a command queue and an eventfd; confirms
// and batches of deliveries go back as posted completions (amqp_batch.cpp handles a batch).
#include "platform/bus/amqp_bus.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/amqp_acks.hpp"
#include "platform/bus/amqp_connection.hpp"
#include "platform/bus/amqp_internal.hpp"
#include "platform/log/log.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace amqp_detail;

constexpr amqp_channel_t kPublishChannel = 1;
constexpr amqp_channel_t kConsumeChannel = 2;
constexpr std::chrono::milliseconds kFirstBackoff = 100ms;
constexpr std::chrono::milliseconds kMaxBackoff = 2s;
constexpr std::chrono::milliseconds kRpcTimeout = 5s;
constexpr std::chrono::milliseconds kIdleWake = 500ms;  // serves heartbeats while idle
constexpr std::chrono::milliseconds kCloseDrain = 1s;   // waiting for confirms when stopping
constexpr int kHeartbeatSeconds = 10;
constexpr int kFramesPerTurn = 256;  // then queued commands (acks, publishes) get a turn
constexpr const char* kLog = "amqp";

// A subscription of this process on a queue, and the deliveries waiting for its next batch.
struct Feed {
  std::shared_ptr<const Subscription> subscription;
  std::deque<std::pair<std::uint64_t, CloudEvent>> waiting;  // delivery tag, event
  bool in_flight = false;                       // one batch at a time: the next is what waits
  std::optional<Clock::time_point> fill_until;  // a batch allowed to wait for more (max_wait)
};

// A service's queue and the subscriptions of this process that it feeds.
struct ServiceQueue {
  std::string service;
  std::string queue;
  std::vector<Feed> feeds;
  std::set<std::string> bound;  // routing keys bound on the current connection
  std::string consumer_tag;     // "" until consuming on the current connection

  Feed* wanting(const std::string& type) {
    for (Feed& feed : feeds) {
      const auto& types = feed.subscription->types;
      if (std::find(types.begin(), types.end(), type) != types.end()) {
        return &feed;
      }
    }
    return nullptr;
  }
};

// A delivery assembled from its method, header and body frames.
struct Incoming {
  std::string consumer_tag;
  std::uint64_t delivery_tag = 0;
  std::size_t size = 0;
  bool has_header = false;
  std::string body;
};

// The connection thread: everything below is touched only by it.
class Driver {
 public:
  Driver(std::shared_ptr<Shared> shared, amqp::Endpoint endpoint)
      : shared_(std::move(shared)),
        endpoint_(std::move(endpoint)),
        exchange_(shared_->options.name_space + ".events"),
        dead_exchange_(shared_->options.name_space + ".dead"),
        dead_queue_(shared_->options.name_space + ".dead-letters") {}

  void run() {
    std::chrono::milliseconds backoff = kFirstBackoff;
    bool reported = false;  // one warning per outage, not one per attempt
    while (!shared_->stopping) {
      std::string reason;
      try {
        connect();
        shared_->connected = true;
        log::info(kLog, "connected", {{"host", endpoint_.host}, {"port", endpoint_.port}});
        reported = false;
        backoff = kFirstBackoff;
        serve();
      } catch (const std::exception& e) {
        reason = e.what();
      }
      bool was_connected = shared_->connected.exchange(false);
      if (shared_->stopping) {
        break;
      }
      disconnect(reason.empty() ? "amqp: connection lost" : reason);
      if (was_connected || !reported) {
        log::warn(kLog,
                  was_connected ? "connection lost; reconnecting" : "cannot connect; retrying",
                  {{"error", reason}});
        reported = true;
      } else {
        log::debug(kLog, "cannot connect; retrying", {{"error", reason}});
      }
      idle(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    shared_->connected = false;
    close();
  }

 private:
  void connect() {
    connection_ = std::make_unique<amqp::Connection>(endpoint_, kRpcTimeout, kHeartbeatSeconds);
    ++generation_;
    connection_->open_channel(kPublishChannel);
    connection_->confirm_select(kPublishChannel);
    next_publish_tag_ = 1;
    connection_->open_channel(kConsumeChannel);
    std::size_t prefetch =
        std::max(shared_->options.prefetch, 2 * shared_->options.batch.max_events);
    connection_->qos(kConsumeChannel,
                     static_cast<std::uint16_t>(std::min<std::size_t>(prefetch, 65535)));
    connection_->declare_exchange(kConsumeChannel, exchange_, "topic");
    connection_->declare_exchange(kConsumeChannel, dead_exchange_, "fanout");
    connection_->declare_queue(kConsumeChannel, dead_queue_, amqp::QueueOptions{});
    connection_->bind_queue(kConsumeChannel, dead_queue_, dead_exchange_, "");
    for (ServiceQueue& queue : queues_) {
      declare_and_consume(queue);
    }
    count_bound();
  }

  // Every feed of every queue is bound once its queue's declare_and_consume returned.
  void count_bound() {
    std::size_t feeds = 0;
    for (const ServiceQueue& queue : queues_)
      feeds += queue.feeds.size();
    shared_->subscriptions_bound = feeds;
  }

  void declare_and_consume(ServiceQueue& queue) {
    amqp::QueueOptions options;
    options.quorum = true;
    options.delivery_limit = shared_->options.delivery_limit;
    options.dead_letter_exchange = dead_exchange_;
    connection_->declare_queue(kConsumeChannel, queue.queue, options);
    for (const Feed& feed : queue.feeds) {
      for (const std::string& type : feed.subscription->types) {
        if (queue.bound.insert(type).second) {
          connection_->bind_queue(kConsumeChannel, queue.queue, exchange_, type);
        }
      }
    }
    if (queue.consumer_tag.empty()) {
      queue.consumer_tag = connection_->consume(kConsumeChannel, queue.queue);
    }
  }

  void serve() {
    std::optional<std::chrono::steady_clock::time_point> drain_deadline;
    for (;;) {
      if (shared_->stopping) {
        // Give the publishes in flight a moment to be confirmed, then close.
        if (!drain_deadline) {
          drain_deadline = std::chrono::steady_clock::now() + kCloseDrain;
        }
        if ((unconfirmed_.empty() && waiting_.empty()) ||
            std::chrono::steady_clock::now() > *drain_deadline) {
          return;
        }
      }
      run_commands();
      expire_overdue();
      int frames = 0;
      amqp_frame_t frame;
      while (frames < kFramesPerTurn && connection_->poll_frame(frame)) {
        on_frame(frame);
        ++frames;
      }
      connection_->release_buffers();
      flush_feeds();
      if (frames < kFramesPerTurn) {
        wait(connection_->socket(), until_next_batch());
      }
    }
  }

  // Waits until the socket (if any) is readable or a command arrives, at most `timeout`.
  void wait(int socket, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{shared_->wake_fd, POLLIN, 0}, {socket, POLLIN, 0}};
    ::poll(fds, socket >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  }

  void idle(std::chrono::milliseconds duration) {
    auto deadline = std::chrono::steady_clock::now() + duration;
    while (!shared_->stopping) {
      run_commands();
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return;
      }
      wait(-1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms);
    }
  }

  // When a command fails the connection, the commands after it go back to the queue and run
  // once disconnected (a publish then fails at once): dropped, a publish would never complete.
  void run_commands() {
    std::vector<Command> commands = shared_->take_commands();
    for (std::size_t i = 0; i < commands.size(); ++i) {
      try {
        std::visit([this](auto& c) { run(c); }, commands[i]);
      } catch (...) {
        auto rest = commands.begin() + static_cast<std::ptrdiff_t>(i) + 1;
        log::debug(kLog, "the connection failed amid queued commands; they run once disconnected",
                   {{"commands", commands.end() - rest},
                    {"publishes", std::count_if(rest, commands.end(), [](const Command& c) {
                       return std::holds_alternative<PublishCommand>(c);
                     })}});
        shared_->requeue(std::vector<Command>(std::make_move_iterator(rest),
                                              std::make_move_iterator(commands.end())));
        throw;
      }
    }
  }

  // Fails the publishes that outlived their deadline waiting for a confirm or for room in the
  // window; a late confirm for one finds nothing to complete.
  void expire_overdue() {
    auto now = Clock::now();
    std::exception_ptr error;
    auto timed_out = [&] {
      if (!error) {
        error = failure("amqp: no confirm from the broker within " +
                        std::to_string(shared_->options.publish_timeout.count()) + " ms");
      }
      return error;
    };
    // Deadlines grow with the tags (one timeout for all), so the overdue ones come first.
    while (!unconfirmed_.empty() && unconfirmed_.begin()->second.deadline <= now) {
      Completion done = std::move(unconfirmed_.begin()->second.done);
      unconfirmed_.erase(unconfirmed_.begin());
      done(timed_out());
    }
    while (!waiting_.empty() && waiting_.front().deadline <= now) {
      PublishCommand command = std::move(waiting_.front());
      waiting_.pop_front();
      command.done(timed_out());
    }
    send_waiting();
  }

  void run(PublishCommand& command) {
    if (!connection_) {
      command.done(failure("amqp: not connected to the broker"));
    } else if (command.deadline <= Clock::now()) {
      command.done(failure("amqp: the publish timed out before it was sent"));
    } else if (unconfirmed_.size() >= shared_->options.confirm_window) {
      waiting_.push_back(std::move(command));
    } else {
      send(command);
    }
  }

  void send(PublishCommand& command) {
    // Registered first, so that a failing publish is failed with the others in flight.
    unconfirmed_.emplace(next_publish_tag_++, Pending{std::move(command.done), command.deadline});
    connection_->publish(kPublishChannel, exchange_, command.routing_key, command.message_id,
                         command.body);
  }

  void run(SettleCommand& command) {
    // The feed is freed first: sending the acks may throw (the connection just failed), and a
    // feed left in flight would never be handed a batch again, on any later connection.
    if (command.finished) {
      if (Feed* feed = find_feed(command.subscription)) {
        feed->in_flight = false;
      }
    }
    if (connection_ && command.generation == generation_) {
      for (const amqp::AckFrame& frame : acks_.settle(command.settled)) {
        send(frame);
      }
    }  // else that connection is gone; the broker has requeued the deliveries
  }

  void send(const amqp::AckFrame& frame) {
    switch (frame.how) {
      case amqp::Settle::ack:
        connection_->ack(kConsumeChannel, frame.tag, frame.multiple);
        break;
      case amqp::Settle::requeue:
        connection_->nack(kConsumeChannel, frame.tag, true);
        break;
      case amqp::Settle::reject:
        connection_->reject(kConsumeChannel, frame.tag, false);
        break;
    }
  }

  Feed* find_feed(const std::shared_ptr<const Subscription>& subscription) {
    for (ServiceQueue& queue : queues_) {
      for (Feed& feed : queue.feeds) {
        if (feed.subscription == subscription) {
          return &feed;
        }
      }
    }
    return nullptr;
  }

  // Hands every idle feed what waits for it, as one batch. A lone delivery goes at once; two
  // or more (the consumer is behind) may wait up to max_wait for the batch to fill.
  void flush_feeds() {
    const BatchOptions& batch = shared_->options.batch;
    auto now = Clock::now();
    for (ServiceQueue& queue : queues_) {
      for (Feed& feed : queue.feeds) {
        if (feed.in_flight || feed.waiting.empty()) {
          continue;
        }
        bool full = feed.waiting.size() == 1 || feed.waiting.size() >= batch.max_events;
        if (!full && batch.max_wait.count() > 0) {
          if (!feed.fill_until) {
            feed.fill_until = now + batch.max_wait;
          }
          if (now < *feed.fill_until) {
            continue;
          }
        }
        post_batch(feed);
      }
    }
  }

  // How long the connection thread may sleep: until a batch's wait ends, at most kIdleWake.
  std::chrono::milliseconds until_next_batch() const {
    auto sleep = kIdleWake;
    auto now = Clock::now();
    for (const ServiceQueue& queue : queues_) {
      for (const Feed& feed : queue.feeds) {
        if (feed.fill_until && !feed.in_flight) {
          auto left = std::chrono::ceil<std::chrono::milliseconds>(*feed.fill_until - now);
          sleep = std::clamp(left, std::chrono::milliseconds(0), sleep);
        }
      }
    }
    return sleep;
  }

  void post_batch(Feed& feed) {
    std::vector<std::pair<std::uint64_t, CloudEvent>> batch;
    while (!feed.waiting.empty() && batch.size() < shared_->options.batch.max_events) {
      batch.push_back(std::move(feed.waiting.front()));
      feed.waiting.pop_front();
    }
    feed.in_flight = true;
    feed.fill_until.reset();
    asio::post(shared_->executor, [shared = shared_, subscription = feed.subscription,
                                   batch = std::move(batch), generation = generation_]() mutable {
      if (shared->stopping) {
        return;  // the broker requeues them when the connection closes
      }
      auto executor = shared->executor;
      asio::co_spawn(
          executor,
          handle_batch(std::move(shared), std::move(subscription), std::move(batch), generation),
          asio::detached);
    });
  }

  void run(SubscribeCommand& command) {
    const std::string& service = command.subscription->service;
    auto it = std::find_if(queues_.begin(), queues_.end(),
                           [&](const ServiceQueue& q) { return q.service == service; });
    if (it == queues_.end()) {
      queues_.push_back(
          ServiceQueue{service, shared_->options.name_space + "." + service, {}, {}, {}});
      it = std::prev(queues_.end());
    }
    it->feeds.push_back(Feed{command.subscription, {}, false, std::nullopt});
    if (connection_) {
      declare_and_consume(*it);
      count_bound();
    }
  }

  void on_frame(const amqp_frame_t& frame) {
    switch (frame.frame_type) {
      case AMQP_FRAME_METHOD:
        on_method(frame.channel, frame.payload.method);
        break;
      case AMQP_FRAME_HEADER:
        if (incoming_ && frame.channel == kConsumeChannel) {
          incoming_->has_header = true;
          incoming_->size = frame.payload.properties.body_size;
          incoming_->body.reserve(incoming_->size);
          deliver_if_complete();
        }
        break;
      case AMQP_FRAME_BODY:
        if (incoming_ && incoming_->has_header && frame.channel == kConsumeChannel) {
          const auto& fragment = frame.payload.body_fragment;
          incoming_->body.append(static_cast<const char*>(fragment.bytes), fragment.len);
          deliver_if_complete();
        }
        break;
      default:
        break;
    }
  }

  void on_method(amqp_channel_t channel, const amqp_method_t& method) {
    switch (method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
        confirm(ack->delivery_tag, ack->multiple != 0, nullptr);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
        confirm(nack->delivery_tag, nack->multiple != 0,
                failure("amqp: the broker refused the event (basic.nack)"));
        break;
      }
      case AMQP_BASIC_DELIVER_METHOD: {
        auto* deliver = static_cast<const amqp_basic_deliver_t*>(method.decoded);
        incoming_.emplace();
        incoming_->consumer_tag.assign(static_cast<const char*>(deliver->consumer_tag.bytes),
                                       deliver->consumer_tag.len);
        incoming_->delivery_tag = deliver->delivery_tag;
        break;
      }
      case AMQP_CHANNEL_CLOSE_METHOD: {
        auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
        throw std::runtime_error(
            "amqp: the broker closed channel " + std::to_string(channel) + ": " +
            std::to_string(close->reply_code) + " " +
            std::string(static_cast<const char*>(close->reply_text.bytes), close->reply_text.len));
      }
      case AMQP_CONNECTION_CLOSE_METHOD: {
        auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
        std::string error =
            "amqp: the broker closed the connection: " + std::to_string(close->reply_code) + " " +
            std::string(static_cast<const char*>(close->reply_text.bytes), close->reply_text.len);
        connection_->close_ok();  // else closing it would wait for a close-ok that never comes
        throw std::runtime_error(error);
      }
      case AMQP_BASIC_CANCEL_METHOD:
        // The queue went away (deleted, or its node failed): reconnecting declares it again.
        throw std::runtime_error("amqp: the broker cancelled a consumer");
      default:
        break;
    }
  }

  // Completes the publish with this tag, or every one up to it when `multiple`.
  void confirm(std::uint64_t tag, bool multiple, std::exception_ptr error) {
    auto first = multiple ? unconfirmed_.begin() : unconfirmed_.find(tag);
    auto last = unconfirmed_.upper_bound(tag);
    if (first == unconfirmed_.end()) {
      return;
    }
    for (auto it = first; it != last; ++it) {
      it->second.done(error);
    }
    unconfirmed_.erase(first, last);
    send_waiting();
  }

  void send_waiting() {
    while (!waiting_.empty() && unconfirmed_.size() < shared_->options.confirm_window) {
      PublishCommand next = std::move(waiting_.front());
      waiting_.pop_front();
      send(next);
    }
  }

  void deliver_if_complete() {
    if (!incoming_->has_header || incoming_->body.size() < incoming_->size) {
      return;
    }
    Incoming delivery = std::move(*incoming_);
    incoming_.reset();
    auto queue = std::find_if(queues_.begin(), queues_.end(), [&](const ServiceQueue& q) {
      return q.consumer_tag == delivery.consumer_tag;
    });
    std::string error;
    std::optional<CloudEvent> event = parse_event(delivery.body, &error);
    if (!event) {
      log::error(kLog, "unreadable message dead-lettered", {{"reason", error}});
      connection_->reject(kConsumeChannel, delivery.delivery_tag, false);
      return;
    }
    Feed* feed = queue == queues_.end() ? nullptr : queue->wanting(event->type);
    if (!feed) {
      connection_->ack(kConsumeChannel, delivery.delivery_tag);  // nobody here wants it
      return;
    }
    acks_.delivered(delivery.delivery_tag);
    feed->waiting.emplace_back(delivery.delivery_tag, std::move(*event));
  }

  // Fails every publish awaiting its confirm: the broker may or may not have it, the relay
  // sends it again and consumers deduplicate.
  void fail_pending(const std::string& reason) {
    std::exception_ptr error = failure(reason);
    for (auto& [tag, pending] : unconfirmed_) {
      pending.done(error);
    }
    unconfirmed_.clear();
    for (PublishCommand& command : waiting_) {
      command.done(error);
    }
    waiting_.clear();
  }

  void disconnect(const std::string& reason) {
    fail_pending(reason);
    connection_.reset();
    incoming_.reset();
    acks_.reset();  // the broker requeues every delivery the lost connection had not settled
    for (ServiceQueue& queue : queues_) {
      queue.bound.clear();
      queue.consumer_tag.clear();
      for (Feed& feed : queue.feeds) {
        feed.waiting.clear();
        feed.fill_until.reset();  // a batch in flight stays so until it reports back
      }
    }
  }

  void close() {
    fail_pending("amqp: the bus is closing");
    connection_.reset();  // closes gracefully when healthy: unacked deliveries are requeued
    for (Command& command : shared_->close()) {
      if (auto* publish = std::get_if<PublishCommand>(&command)) {
        publish->done(failure("amqp: the bus is closing"));
      }
    }
  }

  std::shared_ptr<Shared> shared_;
  const amqp::Endpoint endpoint_;
  const std::string exchange_;
  const std::string dead_exchange_;
  const std::string dead_queue_;
  std::unique_ptr<amqp::Connection> connection_;
  std::uint64_t generation_ = 0;
  std::uint64_t next_publish_tag_ = 1;
  struct Pending {
    Completion done;
    Clock::time_point deadline;
  };
  std::map<std::uint64_t, Pending> unconfirmed_;
  std::deque<PublishCommand> waiting_;  // beyond the confirm window
  std::vector<ServiceQueue> queues_;
  std::optional<Incoming> incoming_;
  amqp::AckTracker acks_;  // the consume channel's unsettled deliveries
};

class AmqpBus final : public Bus {
 public:
  AmqpBus(asio::any_io_executor executor, const AmqpBusOptions& options)
      : shared_(std::make_shared<Shared>(std::move(executor), options)) {
    amqp::Endpoint endpoint = amqp::parse_url(options.url);
    thread_ =
        std::thread([driver = Driver(shared_, std::move(endpoint))]() mutable { driver.run(); });
  }

  ~AmqpBus() override {
    shared_->stopping = true;
    shared_->wake();
    thread_.join();
  }

  asio::awaitable<void> publish(const CloudEvent& event) override {
    if (!shared_->connected) {
      throw std::runtime_error("amqp: not connected to the broker");
    }
    auto home = co_await asio::this_coro::executor;
    // Completes on `home` with the broker's answer or, failing that, at the deadline: whatever
    // happens to the command (even if the connection thread is stuck), the publish ends.
    auto initiation = [shared = shared_, home](auto handler, PublishCommand command) {
      using Handler = decltype(handler);
      struct Waiter {
        Waiter(asio::any_io_executor executor, Handler handler)
            : timer(std::move(executor)), handler(std::move(handler)) {}
        void finish(std::exception_ptr error) {
          if (!handler) {
            return;  // the other one came first
          }
          Handler ready = std::move(*handler);
          handler.reset();
          timer.cancel();
          std::move(ready)(error);
        }
        asio::steady_timer timer;
        std::optional<Handler> handler;
      };
      auto waiter = std::make_shared<Waiter>(home, std::move(handler));
      waiter->timer.expires_at(command.deadline);
      waiter->timer.async_wait(
          [waiter, timeout = shared->options.publish_timeout](boost::system::error_code ec) {
            if (!ec) {
              waiter->finish(failure("amqp: no confirm from the broker within " +
                                     std::to_string(timeout.count()) + " ms"));
            }
          });
      command.done = [waiter, home](std::exception_ptr error) {
        asio::post(home, [waiter, error] { waiter->finish(error); });
      };
      shared->submit(std::move(command));
    };
    PublishCommand command{event.type,
                           event.id,
                           serialize(event),
                           {},
                           Clock::now() + shared_->options.publish_timeout};
    co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr)>(
        initiation, asio::use_awaitable, std::move(command));
  }

  void subscribe(Subscription subscription) override {
    ++shared_->subscriptions_requested;
    shared_->submit(
        SubscribeCommand{std::make_shared<const Subscription>(std::move(subscription))});
  }

  asio::awaitable<void> subscribed(std::chrono::milliseconds at_most) override {
    asio::steady_timer poll(co_await asio::this_coro::executor);
    auto until = Clock::now() + at_most;
    while (shared_->subscriptions_bound.load() < shared_->subscriptions_requested.load() &&
           Clock::now() < until) {
      poll.expires_after(std::chrono::milliseconds(20));
      co_await poll.async_wait(asio::use_awaitable);
    }
  }

  asio::awaitable<bool> ping() override { co_return shared_->connected.load(); }
  std::string kind() const override { return "amqp"; }

 private:
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Bus> make_amqp_bus(asio::any_io_executor executor, const AmqpBusOptions& options) {
  return std::make_unique<AmqpBus>(std::move(executor), options);
}

}  // namespace ordo::bus
