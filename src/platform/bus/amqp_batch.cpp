// A batch of RabbitMQ deliveries on the io executor: one call of the subscription's handler,
// then each delivery's ending goes back to the connection thread, which acknowledges the
// successes together (amqp_acks.hpp). A failed event is requeued after a pause (the queue's
// delivery limit bounds the retries); a dead one is rejected to the dead-letter exchange. While
// a dependency is down (unavailable), the deliveries are held and the handler retried here: a
// nack would count toward the delivery limit, and an outage must not dead-letter good events.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/amqp_internal.hpp"
#include "platform/log/log.hpp"

namespace ordo::bus::amqp_detail {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using Tagged = std::pair<std::uint64_t, CloudEvent>;

constexpr std::chrono::milliseconds kRetryDelay = 200ms;  // before a failed event is requeued
constexpr std::chrono::milliseconds kMaxHoldBackoff = 2s;

asio::awaitable<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<std::vector<Settlement>> run_handler(const Subscription& subscription,
                                                     const std::vector<Delivery>& deliveries) {
  std::span<const Delivery> view(deliveries);
  std::vector<Settlement> settlements;
  std::exception_ptr failure;
  try {
    settlements = co_await subscription.handler(view);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure && settlements.size() != deliveries.size())
    failure = std::make_exception_ptr(std::logic_error("a batch handler settled too few"));
  if (failure)
    settlements = settle_all(deliveries.size(), failure);
  co_return settlements;
}

void report(const Subscription& subscription, const CloudEvent& event, const Settlement& settlement,
            bool first_attempt) {
  switch (settlement.outcome) {
    case Outcome::done:
      break;
    case Outcome::dead:
      log::warn(subscription.service, "poison event dead-lettered",
                {{"event_id", event.id}, {"type", event.type}, {"reason", settlement.reason}});
      break;
    case Outcome::retry:
      log::warn(subscription.service, "event handler failed; will be redelivered",
                {{"event_id", event.id}, {"type", event.type}, {"error", settlement.reason}});
      break;
    case Outcome::unavailable:
      if (first_attempt) {
        log::warn(subscription.service, "event handler waits for its database",
                  {{"event_id", event.id}, {"type", event.type}, {"error", settlement.reason}});
      }
      break;
  }
}

}  // namespace

asio::awaitable<void> handle_batch(std::shared_ptr<Shared> shared,
                                   std::shared_ptr<const Subscription> subscription,
                                   std::vector<Tagged> batch, std::uint64_t generation) {
  std::vector<std::pair<std::uint64_t, amqp::Settle>> requeue;
  std::chrono::milliseconds backoff{200};
  for (bool first = true;; first = false) {
    std::vector<Delivery> deliveries;
    for (auto& [tag, event] : batch)
      deliveries.push_back(Delivery{event, 1});
    std::vector<Settlement> settlements = co_await run_handler(*subscription, deliveries);
    SettleCommand settled{generation, subscription, {}, false};
    std::vector<Tagged> held;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      report(*subscription, batch[i].second, settlements[i], first);
      auto tag = batch[i].first;
      switch (settlements[i].outcome) {
        case Outcome::done:
          settled.settled.emplace_back(tag, amqp::Settle::ack);
          break;
        case Outcome::dead:
          settled.settled.emplace_back(tag, amqp::Settle::reject);
          break;
        case Outcome::retry:
          requeue.emplace_back(tag, amqp::Settle::requeue);
          break;
        case Outcome::unavailable:
          held.push_back(std::move(batch[i]));
          break;
      }
    }
    // Held deliveries left when stopping are requeued by the broker when the connection closes.
    bool finished = held.empty() || shared->stopping;
    settled.finished = finished;
    shared->submit(std::move(settled));
    if (finished)
      break;
    batch = std::move(held);
    co_await pause(backoff);
    backoff = std::min(backoff * 2, kMaxHoldBackoff);
  }
  if (!requeue.empty()) {
    co_await pause(kRetryDelay);
    shared->submit(SettleCommand{generation, subscription, std::move(requeue), false});
  }
}

}  // namespace ordo::bus::amqp_detail
