// The in-process bus: publish hands the event to every subscription that wants its type and
// completes only when all of them have handled it, so the relay keeps the outbox row until then.
#include "platform/bus/local_bus.hpp"

#include <algorithm>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log/log.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;

bool wants(const Subscription& subscription, const std::string& type) {
  return std::find(subscription.types.begin(), subscription.types.end(), type) !=
         subscription.types.end();
}

// PoisonEvent counts as handled: retrying it can never succeed.
asio::awaitable<void> deliver(std::shared_ptr<const Subscription> subscription,
                              const CloudEvent& event) {
  try {
    co_await subscription->handler(event);
  } catch (const PoisonEvent& e) {
    log::warn(subscription->service, "poison event dropped by handler",
              {{"event_id", event.id}, {"type", event.type}, {"reason", e.what()}});
  }
}

class LocalBus final : public Bus {
 public:
  explicit LocalBus(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  asio::awaitable<void> publish(const CloudEvent& event) override {
    using Operation = decltype(asio::co_spawn(executor_, deliver(nullptr, event), asio::deferred));
    std::vector<Operation> deliveries;
    for (auto& subscription : matching(event.type)) {
      deliveries.push_back(asio::co_spawn(executor_, deliver(subscription, event), asio::deferred));
    }
    if (deliveries.empty()) {
      co_return;
    }
    // Every subscription runs to its end even when another fails: a half-cancelled handler
    // would gain nothing, and the relay re-sends the whole event anyway.
    auto [order, failures] =
        co_await asio::experimental::make_parallel_group(std::move(deliveries))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    for (const std::exception_ptr& failure : failures) {
      if (failure) {
        std::rethrow_exception(failure);
      }
    }
  }

  void subscribe(Subscription subscription) override {
    std::lock_guard lock(mutex_);
    subscriptions_.push_back(std::make_shared<const Subscription>(std::move(subscription)));
  }

  asio::awaitable<bool> ping() override { co_return true; }
  std::string kind() const override { return "local"; }

 private:
  std::vector<std::shared_ptr<const Subscription>> matching(const std::string& type) {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<const Subscription>> out;
    for (const auto& subscription : subscriptions_) {
      if (wants(*subscription, type)) {
        out.push_back(subscription);
      }
    }
    return out;
  }

  asio::any_io_executor executor_;
  std::mutex mutex_;  // subscribe() may race with a publish from another thread at start-up
  std::vector<std::shared_ptr<const Subscription>> subscriptions_;
};
}  // namespace

std::unique_ptr<Bus> make_local_bus(asio::any_io_executor executor) {
  return std::make_unique<LocalBus>(std::move(executor));
}

}  // namespace ordo::bus
