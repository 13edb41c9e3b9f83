// The per-event adapters around batch handlers, and what a thrown batch means.
#include "platform/bus/bus.hpp"

namespace ordo::bus {
namespace asio = boost::asio;

namespace {

// Takes the handler by value: it lives in this frame while the batch runs.
asio::awaitable<std::vector<Settlement>> run_each(EventHandler handler,
                                                  std::span<const Delivery> batch) {
  std::vector<Settlement> settlements;
  settlements.reserve(batch.size());
  for (const Delivery& delivery : batch) {
    std::exception_ptr failure;
    try {
      co_await handler(delivery.event);
    } catch (...) {
      failure = std::current_exception();
    }
    settlements.push_back(failure ? settle_all(1, failure).front() : Settlement{});
  }
  co_return settlements;
}

}  // namespace

std::vector<Settlement> settle_all(std::size_t count, std::exception_ptr failure) {
  Settlement settlement{Outcome::retry, "unknown failure"};
  try {
    std::rethrow_exception(failure);
  } catch (const Unavailable& e) {
    settlement = {Outcome::unavailable, e.what()};
  } catch (const PoisonEvent& e) {
    settlement = {Outcome::dead, std::string("poison: ") + e.what()};
  } catch (const std::exception& e) {
    settlement = {Outcome::retry, e.what()};
  } catch (...) {
  }
  return std::vector<Settlement>(count, settlement);
}

BatchHandler each_event(EventHandler handler) {
  // Not a coroutine lambda: run_each copies the handler into its own frame (g++ 12).
  return [handler = std::move(handler)](std::span<const Delivery> batch) {
    return run_each(handler, batch);
  };
}

asio::awaitable<void> deliver_one(const BatchHandler& handler, const CloudEvent& event) {
  std::vector<Delivery> batch(1);
  batch.front().event = event;
  std::span<const Delivery> view(batch);
  std::vector<Settlement> settlements = co_await handler(view);
  if (settlements.size() != 1)
    throw std::logic_error("bus: a batch handler settled " + std::to_string(settlements.size()) +
                           " deliveries of 1");
  const Settlement& settled = settlements.front();
  switch (settled.outcome) {
    case Outcome::done:
      co_return;
    case Outcome::dead:
      throw PoisonEvent(settled.reason);
    case Outcome::unavailable:
      throw Unavailable(settled.reason);
    case Outcome::retry:
      break;
  }
  throw std::runtime_error(settled.reason);
}

}  // namespace ordo::bus
