// Where a webhook call goes: every address a name resolves to is checked, the call is made to a
// checked address with the URL's own Host, and a lookup that does not answer ends in time (lookups
// injected: no DNS here).
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "services/notifications/webhook_target.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::notifications {
namespace {
using namespace std::chrono_literals;
using ordo::testing::run_async;

core::NameLookup answers(std::vector<std::string> addresses) {
  return [addresses](const std::string&) { return addresses; };
}

TEST(WebhookTarget, CallsTheCheckedAddressWithTheUrlsHost) {
  boost::asio::io_context ctx;
  auto target = run_async(ctx, resolve_webhook_target("http://hooks.example.com:8080/in?x=1", false,
                                                      1s, answers({"203.0.113.7"})));
  EXPECT_EQ(target.origin, "http://203.0.113.7:8080");
  EXPECT_EQ(target.authority, "hooks.example.com:8080");
  EXPECT_EQ(target.target, "/in?x=1");
  auto v6 = run_async(ctx, resolve_webhook_target("http://hooks.example.com/", false, 1s,
                                                  answers({"2001:db8::1"})));
  EXPECT_EQ(v6.origin, "http://[2001:db8::1]:80");
}

TEST(WebhookTarget, ANameWithAnyInternalAddressIsForbidden) {
  boost::asio::io_context ctx;
  EXPECT_THROW(run_async(ctx, resolve_webhook_target("http://hooks.example.com/", false, 1s,
                                                     answers({"203.0.113.7", "10.0.0.8"}))),
               ForbiddenTarget);
  EXPECT_THROW(run_async(ctx, resolve_webhook_target("http://hooks.example.com/", false, 1s,
                                                     answers({"127.0.0.1"}))),
               ForbiddenTarget);
  // Unless private targets are allowed (a receiver on the same network).
  auto allowed = run_async(
      ctx, resolve_webhook_target("http://hooks.internal/", true, 1s, answers({"10.0.0.8"})));
  EXPECT_EQ(allowed.origin, "http://10.0.0.8:80");
}

TEST(WebhookTarget, ANameWithoutAddressesDoesNotResolve) {
  boost::asio::io_context ctx;
  try {
    run_async(ctx, resolve_webhook_target("http://nowhere.example/", false, 1s, answers({})));
    FAIL() << "resolved";
  } catch (const ForbiddenTarget&) {
    FAIL() << "a name without addresses is not a forbidden one";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot resolve nowhere.example"), std::string::npos)
        << e.what();
  }
}

// A DNS server that drops queries: the attempt fails after the timeout, not after getaddrinfo's
// tens of seconds, and the lookup's thread finishes on its own later.
TEST(WebhookTarget, ALookupThatDoesNotAnswerEndsAtTheTimeout) {
  boost::asio::io_context ctx;
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto stuck = [release](const std::string&) {
    while (!release->load())
      std::this_thread::sleep_for(5ms);
    return std::vector<std::string>{"203.0.113.7"};
  };
  try {
    run_async(ctx, resolve_webhook_target("http://slow.example/", false, 200ms, stuck));
    FAIL() << "resolved";
  } catch (const std::runtime_error& e) {
    // Not run_async's own deadline: the lookup's.
    EXPECT_NE(std::string(e.what()).find("cannot resolve slow.example"), std::string::npos)
        << e.what();
  }
  release->store(true);
}

TEST(WebhookTarget, ANumericAddressIsCheckedWithoutALookup) {
  boost::asio::io_context ctx;
  auto never = [](const std::string&) -> std::vector<std::string> {
    throw std::logic_error("looked up a numeric address");
  };
  EXPECT_THROW(
      run_async(ctx, resolve_webhook_target("http://169.254.169.254/latest", false, 1s, never)),
      ForbiddenTarget);
  auto target =
      run_async(ctx, resolve_webhook_target("http://[2001:db8::5]:9000/h", false, 1s, never));
  EXPECT_EQ(target.origin, "http://[2001:db8::5]:9000");
}

}  // namespace
}  // namespace ordo::services::notifications
