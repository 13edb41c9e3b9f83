// Test helpers for the sql and bus tests: a temporary directory and a bounded coroutine runner.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace ordo::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("ordo-test-" + std::to_string(random()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs the coroutine on ctx until it completes and rethrows its exception. A deadlock fails the
// test after `timeout` instead of hanging it. Other work left on ctx (a relay loop) is not waited.
template <typename T>
T run_async(boost::asio::io_context& ctx, boost::asio::awaitable<T> task,
            std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  bool done = false;
  std::exception_ptr failure;
  std::optional<T> value;
  boost::asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T v) {
    done = true;
    failure = e;
    if (!e) {
      value.emplace(std::move(v));
    }
  });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ctx.restart();
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ctx.run_one_for(std::chrono::milliseconds(50));
    if (ctx.stopped()) {
      ctx.restart();
    }
  }
  if (!done) {
    throw std::runtime_error("test coroutine timed out");
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
  return std::move(*value);
}

inline void run_async(boost::asio::io_context& ctx, boost::asio::awaitable<void> task,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto wrapped = [](boost::asio::awaitable<void> t) -> boost::asio::awaitable<int> {
    co_await std::move(t);
    co_return 0;
  };
  run_async<int>(ctx, wrapped(std::move(task)), timeout);
}

}  // namespace ordo::testing
