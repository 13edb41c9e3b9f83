// In-memory waiters for `Prefer: wait=N`: a request waiting for an order's final state is woken
// when the consumer has committed a change to that order (or the order was cancelled).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ordo::services::orders {

class OrderWaiters {
 public:
  // One waiting request. Signals are remembered (`fired`), so one that arrives between a check
  // of the order and the wait is not lost. The timer is only touched on its own executor.
  class Waiter {
   public:
    // Waits until signalled or until the deadline; false when the deadline passed.
    boost::asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point deadline);

   private:
    friend class OrderWaiters;
    explicit Waiter(boost::asio::any_io_executor executor) : timer_(std::move(executor)) {}
    boost::asio::steady_timer timer_;
    bool fired_ = false;
  };

  // Registers a waiter for the order; it stays registered until the returned handle dies.
  class Registration {
   public:
    Registration(OrderWaiters& owner, std::string order_id, std::shared_ptr<Waiter> waiter)
        : owner_(owner), order_id_(std::move(order_id)), waiter_(std::move(waiter)) {}
    ~Registration() { owner_.remove(order_id_, waiter_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    Waiter& waiter() { return *waiter_; }

   private:
    OrderWaiters& owner_;
    std::string order_id_;
    std::shared_ptr<Waiter> waiter_;
  };

  std::unique_ptr<Registration> watch(const std::string& order_id,
                                      boost::asio::any_io_executor executor);
  // Wakes every waiter of the order. Call after the change is committed.
  void notify(const std::string& order_id);
  std::size_t watched() const;

 private:
  void remove(const std::string& order_id, const std::shared_ptr<Waiter>& waiter);

  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::shared_ptr<Waiter>>> waiters_;
};

}  // namespace ordo::services::orders
