// Runs blocking work (SQLite, password hashing) on a bounded pool and awaits it from an I/O thread.
#pragma once

#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::core {

// The calling coroutine suspends; fn runs on one of the pool's threads; the coroutine resumes on
// its own executor with fn's result (or its exception).
template <typename Fn>
auto run_blocking(boost::asio::thread_pool& pool, Fn fn)
    -> boost::asio::awaitable<std::invoke_result_t<Fn>> {
  using Result = std::invoke_result_t<Fn>;
  co_return co_await boost::asio::co_spawn(
      pool.get_executor(),
      [fn = std::move(fn)]() mutable -> boost::asio::awaitable<Result> { co_return fn(); },
      boost::asio::use_awaitable);
}

}  // namespace ordo::core
