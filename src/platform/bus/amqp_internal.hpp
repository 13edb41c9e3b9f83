// Internals of the RabbitMQ bus shared by amqp_bus.cpp (the connection thread, publishing) and
// amqp_batch.cpp (handling a batch of deliveries on the io executor).
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/bus/amqp_acks.hpp"
#include "platform/bus/amqp_bus.hpp"

namespace ordo::bus::amqp_detail {

// Completes a publish: posts to the publisher's executor, from the connection thread.
using Completion = std::function<void(std::exception_ptr)>;

using Clock = std::chrono::steady_clock;

struct PublishCommand {
  std::string routing_key;
  std::string message_id;
  std::string body;
  Completion done;
  Clock::time_point deadline;  // fails unconfirmed then (the publisher's own timer fails it too)
};

// How deliveries of a batch ended; `finished`: the batch is over, its feed may take the next.
struct SettleCommand {
  std::uint64_t generation;  // delivery tags are valid only on the connection that gave them
  std::shared_ptr<const Subscription> subscription;  // whose batch
  std::vector<std::pair<std::uint64_t, amqp::Settle>> settled;
  bool finished = false;
};

struct SubscribeCommand {
  std::shared_ptr<const Subscription> subscription;
};

using Command = std::variant<PublishCommand, SettleCommand, SubscribeCommand>;

inline std::exception_ptr failure(const std::string& reason) {
  return std::make_exception_ptr(std::runtime_error(reason));
}

// What the io side, the connection thread and posted callbacks share; callbacks hold it by
// shared_ptr, so it outlives the bus, and `stopping` keeps them from reaching a handler after.
struct Shared {
  Shared(boost::asio::any_io_executor executor, AmqpBusOptions options)
      : executor(std::move(executor)),
        options(std::move(options)),
        wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd < 0) {
      throw std::runtime_error("amqp: eventfd failed");
    }
  }
  ~Shared() { ::close(wake_fd); }

  // Refused (a publish fails at once) after close().
  void submit(Command command) {
    std::unique_lock lock(mutex);
    if (closed) {
      lock.unlock();
      if (auto* publish = std::get_if<PublishCommand>(&command)) {
        publish->done(failure("amqp: the bus is closed"));
      }
      return;
    }
    bool was_empty = commands.empty();
    commands.push_back(std::move(command));
    lock.unlock();
    if (was_empty) {
      wake();  // otherwise the thread has a wake-up pending already
    }
  }

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
  }

  // Puts back, ahead of newer ones, commands taken but not run (the connection failed first).
  void requeue(std::vector<Command> rest) {
    std::lock_guard lock(mutex);
    rest.insert(rest.end(), std::make_move_iterator(commands.begin()),
                std::make_move_iterator(commands.end()));
    commands = std::move(rest);
  }

  std::vector<Command> take_commands() {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd, &count, sizeof count);
    std::vector<Command> out;
    std::lock_guard lock(mutex);
    out.swap(commands);
    return out;
  }

  // After this, submit() refuses; returns what was still queued.
  std::vector<Command> close() {
    std::lock_guard lock(mutex);
    closed = true;
    std::vector<Command> out;
    out.swap(commands);
    return out;
  }

  boost::asio::any_io_executor executor;
  const AmqpBusOptions options;
  const int wake_fd;
  std::atomic<bool> connected{false};
  std::atomic<bool> stopping{false};
  // Subscriptions asked for, and those whose queue is declared and bound at the broker.
  std::atomic<std::size_t> subscriptions_requested{0};
  std::atomic<std::size_t> subscriptions_bound{0};
  std::mutex mutex;
  std::vector<Command> commands;
  bool closed = false;
};

// Runs the subscription's handler on a batch of deliveries (delivery tag, event) on the io
// executor and sends back how each ended.
boost::asio::awaitable<void> handle_batch(std::shared_ptr<Shared> shared,
                                          std::shared_ptr<const Subscription> subscription,
                                          std::vector<std::pair<std::uint64_t, CloudEvent>> batch,
                                          std::uint64_t generation);

}  // namespace ordo::bus::amqp_detail
