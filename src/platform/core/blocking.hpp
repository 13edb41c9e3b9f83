// Runs blocking work (SQLite, password hashing) on a bounded pool and awaits it from an I/O thread.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::core {

// The calling coroutine suspends; fn runs on one of the pool's threads; the coroutine resumes on
// its own executor with fn's result (or its exception). Written with async_initiate rather than
// a capturing coroutine lambda: g++ 12 destroys the captures of such lambdas twice.
template <typename Fn>
auto run_blocking(boost::asio::thread_pool& pool, Fn fn)
    -> boost::asio::awaitable<std::invoke_result_t<Fn&>> {
  using Result = std::invoke_result_t<Fn&>;
  static_assert(std::is_default_constructible_v<Result>, "run_blocking needs a default value");
  auto home = co_await boost::asio::this_coro::executor;
  auto initiation = [&pool, home](auto handler, Fn work) {
    boost::asio::post(pool, [handler = std::move(handler), work = std::move(work), home]() mutable {
      std::exception_ptr error;
      Result result{};
      try {
        result = work();
      } catch (...) {
        error = std::current_exception();
      }
      boost::asio::post(
          home, [handler = std::move(handler), error, result = std::move(result)]() mutable {
            std::move(handler)(error, std::move(result));
          });
    });
  };
  co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>,
                                                 void(std::exception_ptr, Result)>(
      initiation, boost::asio::use_awaitable, std::move(fn));
}

}  // namespace ordo::core
