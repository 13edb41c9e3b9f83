// Name lookups off the event loop: a lookup that blocks never stops the loop's other work, one
// that never answers ends in a bounded error, and a late answer touches nothing that is gone.
#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "platform/core/name_lookup.hpp"

namespace ordo::core {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using Addresses = std::vector<std::string>;

// Runs task on ctx until it ends (at most 20 s) and returns its result or rethrows its failure.
Addresses run(asio::io_context& ctx, asio::awaitable<Addresses> task) {
  std::optional<Addresses> value;
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, Addresses v) {
    done = true;
    failure = e;
    value = std::move(v);
  });
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ctx.run_one_for(50ms);
    if (ctx.stopped())
      ctx.restart();
  }
  if (!done)
    throw std::runtime_error("the lookup did not end");
  if (failure)
    std::rethrow_exception(failure);
  return *value;
}

// A lookup that answers only once `release` is set: by work on the event loop in the first test,
// so it can answer only if the loop runs while the lookup waits.
struct GatedLookup {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> started{false};
  std::atomic<bool> returned{false};

  NameLookup function(Addresses answer) {
    return [gate = released, answer, &started = started, &returned = returned](const std::string&) {
      started = true;
      bool open = gate.wait_for(10s) == std::future_status::ready;
      returned = true;
      return open ? answer : Addresses{};
    };
  }
};

// Work on the loop that re-queues itself until the lookup has started, then opens its gate: it can
// only do so if the loop keeps running while the lookup blocks.
void release_once_started(asio::io_context& ctx, GatedLookup& gate) {
  asio::post(ctx, [&ctx, &gate] {
    if (gate.started)
      gate.release.set_value();
    else
      release_once_started(ctx, gate);
  });
}

TEST(NameLookup, ABlockingLookupLeavesTheEventLoopFree) {
  asio::io_context ctx;
  GatedLookup gate;
  auto task = resolve_name("orders.ordo.test", 15s, gate.function({"127.0.0.2", "127.0.0.3"}));
  release_once_started(ctx, gate);
  EXPECT_EQ(run(ctx, std::move(task)), (Addresses{"127.0.0.2", "127.0.0.3"}));
}

TEST(NameLookup, ALookupThatNeverAnswersEndsInATimeoutError) {
  asio::io_context ctx;
  GatedLookup gate;
  try {
    run(ctx, resolve_name("stuck.ordo.test", 200ms, gate.function({"127.0.0.1"})));
    FAIL() << "no error";
  } catch (const LookupError& e) {
    EXPECT_TRUE(e.timed_out()) << e.what();
    EXPECT_NE(std::string(e.what()).find("stuck.ordo.test"), std::string::npos) << e.what();
  }
  gate.release.set_value();  // the late answer is dropped
  while (!gate.returned)
    std::this_thread::sleep_for(1ms);
}

TEST(NameLookup, ALateAnswerAfterTheLoopIsGoneTouchesNothing) {
  GatedLookup gate;
  {
    asio::io_context ctx;
    asio::co_spawn(ctx, resolve_name("late.ordo.test", 10s, gate.function({"127.0.0.1"})),
                   [](std::exception_ptr, Addresses) {});
    ctx.poll();  // the coroutine starts the lookup and waits
  }              // the loop and the waiting frame go
  gate.release.set_value();
  while (!gate.returned)
    std::this_thread::sleep_for(1ms);
}

TEST(NameLookup, NoAddressAndAFailingLookupAreErrors) {
  asio::io_context ctx;
  EXPECT_THROW(
      run(ctx, resolve_name("none.ordo.test", 5s, [](const std::string&) { return Addresses{}; })),
      LookupError);
  EXPECT_THROW(run(ctx, resolve_name("broken.ordo.test", 5s,
                                     [](const std::string&) -> Addresses {
                                       throw std::runtime_error("SERVFAIL");
                                     })),
               LookupError);
}

TEST(NameLookup, NumericAddressesNeedNoLookup) {
  asio::io_context ctx;
  auto never = [](const std::string&) -> Addresses { throw std::logic_error("looked up"); };
  EXPECT_EQ(run(ctx, resolve_name("127.0.0.2", 5s, never)), (Addresses{"127.0.0.2"}));
  EXPECT_EQ(run(ctx, resolve_name("::1", 5s, never)), (Addresses{"::1"}));
  EXPECT_TRUE(is_numeric_address("10.0.0.1"));
  EXPECT_FALSE(is_numeric_address("orders"));
  EXPECT_FALSE(is_numeric_address("[::1]"));
}

// The real resolver, on a name /etc/hosts holds on any Linux machine.
TEST(NameLookup, TheSystemResolverFindsLocalhost) {
  asio::io_context ctx;
  Addresses addresses = run(ctx, resolve_name("localhost", 10s));
  ASSERT_FALSE(addresses.empty());
  for (const auto& address : addresses)
    EXPECT_TRUE(address == "127.0.0.1" || address == "::1") << address;
}

}  // namespace
}  // namespace ordo::core
