// Runs one coroutine to completion on the bench's single io_context, from plain code.
#pragma once

#include <chrono>
#include <future>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace ordo::bench {

// Drives the io_context until this work is done; other work (idle keep-alive connections) may
// stay pending, so running "until out of work" would not do.
template <typename T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  auto future = boost::asio::co_spawn(io, std::move(work), boost::asio::use_future);
  io.restart();
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (io.run_one() == 0)
      io.restart();
  }
  return future.get();
}

}  // namespace ordo::bench
