// A first-come-first-served async lock for coroutines that all run on one thread (the writer).
#pragma once

#include <chrono>
#include <deque>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::sql {

// Transactions on SQLite never really suspend, so the lock is normally uncontended; it exists so
// that a body that does suspend cannot let a second transaction interleave on the connection.
// Not thread-safe: every call must come from the executor's single thread.
class WriterLock {
 public:
  boost::asio::awaitable<void> lock() {
    if (!locked_) {
      locked_ = true;
      co_return;
    }
    boost::asio::steady_timer wake(co_await boost::asio::this_coro::executor,
                                   std::chrono::steady_clock::time_point::max());
    waiters_.push_back(&wake);
    Dequeue dequeue{waiters_, &wake};
    boost::system::error_code ec;
    co_await wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    // unlock() handed the lock over to us (it stays locked_) and removed us from waiters_.
  }

  void unlock() {
    if (waiters_.empty()) {
      locked_ = false;
      return;
    }
    boost::asio::steady_timer* next = waiters_.front();
    waiters_.pop_front();
    next->cancel();
  }

 private:
  // Removes a waiter whose coroutine is destroyed before it was woken (shutdown).
  struct Dequeue {
    std::deque<boost::asio::steady_timer*>& waiters;
    boost::asio::steady_timer* self;
    ~Dequeue() { std::erase(waiters, self); }
  };

  bool locked_ = false;
  std::deque<boost::asio::steady_timer*> waiters_;
};

}  // namespace ordo::sql
