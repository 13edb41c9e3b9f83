// The in-process bus. A publish queues the event for every subscription that wants its type and
// completes when all of them have settled it, so the relay keeps the outbox row until then. Each
// subscription handles one batch at a time: whatever was queued while the previous batch ran
// (the relay publishes many entities' events concurrently) becomes the next batch.
#include "platform/bus/local_bus.hpp"

#include <algorithm>
#include <deque>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log/log.hpp"

namespace ordo::bus {
namespace {
namespace asio = boost::asio;
using Strand = asio::strand<asio::any_io_executor>;

// One publish waiting for every subscription to settle its event.
struct Publish {
  explicit Publish(const Strand& strand, std::size_t subscriptions)
      : done(strand, std::chrono::steady_clock::time_point::max()), pending(subscriptions) {}
  asio::steady_timer done;  // cancelled when the last subscription has settled
  std::size_t pending;
  std::optional<Settlement> failure;  // the first retry or unavailable settlement
};

struct Queued {
  Delivery delivery;
  std::shared_ptr<Publish> publish;
};

// A subscription, the events queued for it, and whether its batch loop runs.
struct Feed {
  std::shared_ptr<const Subscription> subscription;
  std::deque<Queued> queued;
  bool running = false;
};

// Everything below is touched only on the strand, except `feeds` (under the mutex).
struct Shared {
  Shared(asio::any_io_executor executor, BatchOptions batch)
      : strand(asio::make_strand(std::move(executor))), batch(batch) {
    this->batch.max_events = std::max<std::size_t>(1, batch.max_events);
  }
  Strand strand;
  BatchOptions batch;
  std::mutex mutex;  // subscribe() may race with a publish from another thread at start-up
  std::vector<std::shared_ptr<Feed>> feeds;

  std::vector<std::shared_ptr<Feed>> matching(const std::string& type) {
    std::lock_guard lock(mutex);
    std::vector<std::shared_ptr<Feed>> out;
    for (const auto& feed : feeds) {
      const auto& types = feed->subscription->types;
      if (std::find(types.begin(), types.end(), type) != types.end())
        out.push_back(feed);
    }
    return out;
  }
};

void settle(Publish& publish, const Settlement& settlement) {
  if ((settlement.outcome == Outcome::retry || settlement.outcome == Outcome::unavailable) &&
      !publish.failure) {
    publish.failure = settlement;
  }
  if (--publish.pending == 0)
    publish.done.cancel();
}

void take(Feed& feed, std::vector<Queued>& batch, std::size_t max_events) {
  while (!feed.queued.empty() && batch.size() < max_events) {
    batch.push_back(std::move(feed.queued.front()));
    feed.queued.pop_front();
  }
}

asio::awaitable<void> pause(const Strand& strand, std::chrono::milliseconds duration) {
  asio::steady_timer timer(strand, duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

// A dead event counts as settled here: retrying it could never succeed, and the relay would
// re-send it forever.
void report_dead(const Subscription& subscription, const Delivery& delivery,
                 const Settlement& settlement) {
  log::warn(subscription.service, "dead event dropped by the in-process bus",
            {{"event_id", delivery.event.id},
             {"type", delivery.event.type},
             {"reason", settlement.reason}});
}

// The subscription's batch loop, on the strand; ends when nothing is queued.
asio::awaitable<void> drain(std::shared_ptr<Shared> shared, std::shared_ptr<Feed> feed) {
  const BatchOptions& options = shared->batch;
  while (!feed->queued.empty()) {
    std::vector<Queued> batch;
    take(*feed, batch, options.max_events);
    if (batch.size() >= 2 && batch.size() < options.max_events && options.max_wait.count() > 0) {
      co_await pause(shared->strand, options.max_wait);
      take(*feed, batch, options.max_events);
    }
    std::vector<Delivery> deliveries;
    deliveries.reserve(batch.size());
    for (auto& queued : batch)
      deliveries.push_back(std::move(queued.delivery));
    std::span<const Delivery> view(deliveries);
    std::vector<Settlement> settlements;
    std::exception_ptr failure;
    try {
      settlements = co_await feed->subscription->handler(view);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure || settlements.size() != batch.size()) {
      if (!failure)
        failure = std::make_exception_ptr(std::logic_error("a batch handler settled too few"));
      settlements = settle_all(batch.size(), failure);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (settlements[i].outcome == Outcome::dead)
        report_dead(*feed->subscription, deliveries[i], settlements[i]);
      settle(*batch[i].publish, settlements[i]);
    }
  }
  feed->running = false;
}

asio::awaitable<void> publish_on_strand(std::shared_ptr<Shared> shared, CloudEvent event) {
  auto feeds = shared->matching(event.type);
  if (feeds.empty())
    co_return;
  auto publish = std::make_shared<Publish>(shared->strand, feeds.size());
  for (const auto& feed : feeds) {
    feed->queued.push_back(Queued{Delivery{event, 1}, publish});
    if (!feed->running) {
      feed->running = true;
      asio::co_spawn(shared->strand, drain(shared, feed), asio::detached);
    }
  }
  while (publish->pending > 0) {
    boost::system::error_code ignored;  // operation_aborted: the last settlement came
    co_await publish->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (publish->failure) {
    if (publish->failure->outcome == Outcome::unavailable)
      throw Unavailable(publish->failure->reason);
    throw std::runtime_error(publish->failure->reason);
  }
}

class LocalBus final : public Bus {
 public:
  LocalBus(asio::any_io_executor executor, BatchOptions batch)
      : shared_(std::make_shared<Shared>(std::move(executor), batch)) {}

  // Not a coroutine: the event is copied into the strand's coroutine before the caller's
  // reference can go away.
  asio::awaitable<void> publish(const CloudEvent& event) override {
    return asio::co_spawn(shared_->strand, publish_on_strand(shared_, event), asio::use_awaitable);
  }

  void subscribe(Subscription subscription) override {
    auto feed = std::make_shared<Feed>();
    feed->subscription = std::make_shared<const Subscription>(std::move(subscription));
    std::lock_guard lock(shared_->mutex);
    shared_->feeds.push_back(std::move(feed));
  }

  asio::awaitable<bool> ping() override { co_return true; }
  std::string kind() const override { return "local"; }

 private:
  std::shared_ptr<Shared> shared_;
};
}  // namespace

std::unique_ptr<Bus> make_local_bus(asio::any_io_executor executor, BatchOptions batch) {
  return std::make_unique<LocalBus>(std::move(executor), batch);
}

}  // namespace ordo::bus
