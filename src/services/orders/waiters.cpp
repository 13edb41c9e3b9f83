#include "services/orders/waiters.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::services::orders {

boost::asio::awaitable<bool> OrderWaiters::Waiter::wait_until(
    std::chrono::steady_clock::time_point deadline) {
  if (fired_) {
    fired_ = false;
    co_return true;
  }
  if (std::chrono::steady_clock::now() >= deadline)
    co_return false;
  timer_.expires_at(deadline);
  boost::system::error_code ec;
  co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  // Cancelled by notify (fired_ set) or expired.
  bool signalled = fired_;
  fired_ = false;
  co_return signalled;
}

std::unique_ptr<OrderWaiters::Registration> OrderWaiters::watch(
    const std::string& order_id, boost::asio::any_io_executor executor) {
  std::shared_ptr<Waiter> waiter(new Waiter(std::move(executor)));
  {
    std::lock_guard lock(mutex_);
    waiters_[order_id].push_back(waiter);
  }
  return std::make_unique<Registration>(*this, order_id, std::move(waiter));
}

void OrderWaiters::notify(const std::string& order_id) {
  std::vector<std::shared_ptr<Waiter>> woken;
  {
    std::lock_guard lock(mutex_);
    auto found = waiters_.find(order_id);
    if (found == waiters_.end())
      return;
    woken = found->second;
  }
  for (auto& waiter : woken) {
    // On the waiter's executor: the timer and the flag belong to the waiting coroutine's thread.
    boost::asio::post(waiter->timer_.get_executor(), [waiter] {
      waiter->fired_ = true;
      waiter->timer_.cancel();
    });
  }
}

std::size_t OrderWaiters::watched() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

void OrderWaiters::remove(const std::string& order_id, const std::shared_ptr<Waiter>& waiter) {
  std::lock_guard lock(mutex_);
  auto found = waiters_.find(order_id);
  if (found == waiters_.end())
    return;
  auto& list = found->second;
  list.erase(std::remove(list.begin(), list.end(), waiter), list.end());
  if (list.empty())
    waiters_.erase(found);
}

}  // namespace ordo::services::orders
