// The admission middleware on an io_context without sockets: refusals as problem+json with
// Retry-After, a freed slot waking the waiter, exempt routes, the trusted deadline, a slot given
// back when the handler throws. Waits are bounded; no timing is asserted.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "platform/http/admission_control.hpp"

namespace ordo::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// One group ("work") for every path but /health.
AdmissionControl one_group(std::size_t max_in_flight, std::chrono::milliseconds queue_wait) {
  AdmissionPolicy policy;
  policy.groups = {{"work", {max_in_flight, queue_wait}}};
  policy.classify = [](const Request& request) -> std::optional<std::size_t> {
    if (request.path == "/health")
      return std::nullopt;
    return 0;
  };
  policy.trusted_proxies = {"127.0.0.1"};
  return AdmissionControl(std::move(policy));
}

// A handler that holds its slot for `hold`, then answers 200.
Handler holding_for(std::chrono::milliseconds hold) {
  return [hold](Request&) -> asio::awaitable<Response> {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, hold);
    co_await timer.async_wait(asio::use_awaitable);
    co_return Response::text(200, "done");
  };
}

struct Call {
  Request request;
  std::future<Response> answer;
};

// Starts a request through the middleware (it runs when the io_context does).
void start(asio::io_context& io, const Middleware& middleware, const Handler& handler, Call& call,
           std::string path = "/work", std::string remote = "127.0.0.1") {
  call.request.method = "POST";
  call.request.path = std::move(path);
  call.request.remote_address = std::move(remote);
  call.answer = asio::co_spawn(io, middleware(call.request, handler), asio::use_future);
}

TEST(HttpAdmissionControl, PastTheQueueWaitTheAnswerIs503WithRetryAfter) {
  auto admission = one_group(1, 20ms);
  auto middleware = admission.middleware();
  auto handler = holding_for(300ms);
  asio::io_context io;
  Call first, second;
  start(io, middleware, handler, first);
  start(io, middleware, handler, second);
  io.run();
  EXPECT_EQ(first.answer.get().status, 200);
  auto refused = second.answer.get();
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.headers.get_or("Content-Type", ""), "application/problem+json");
  EXPECT_EQ(refused.headers.get_or("Retry-After", ""), "1");
  EXPECT_EQ(refused.headers.get_or("Ordo-Shed", ""), "queue-timeout");
  EXPECT_EQ(admission.refused_gauge(0)(), 1.0);
  EXPECT_EQ(admission.in_flight_gauge(0)(), 0.0);
}

TEST(HttpAdmissionControl, AFreedSlotWakesTheWaiter) {
  auto admission = one_group(1, 10s);
  auto middleware = admission.middleware();
  auto handler = holding_for(10ms);
  asio::io_context io;
  std::vector<Call> calls(4);
  for (auto& call : calls)
    start(io, middleware, handler, call);
  io.run();
  for (auto& call : calls)
    EXPECT_EQ(call.answer.get().status, 200);
  EXPECT_EQ(admission.refused_gauge(0)(), 0.0);
  EXPECT_EQ(admission.in_flight_gauge(0)(), 0.0);
}

TEST(HttpAdmissionControl, ExemptRoutesPassAFullGroup) {
  auto admission = one_group(1, 0ms);
  auto middleware = admission.middleware();
  auto handler = holding_for(50ms);
  asio::io_context io;
  Call busy, health;
  start(io, middleware, handler, busy);
  start(io, middleware, handler, health, "/health");
  io.run();
  EXPECT_EQ(busy.answer.get().status, 200);
  EXPECT_EQ(health.answer.get().status, 200);
}

TEST(HttpAdmissionControl, APassedDeadlineIs504OnlyFromATrustedPeer) {
  auto admission = one_group(4, 100ms);
  auto middleware = admission.middleware();
  auto handler = holding_for(1ms);
  asio::io_context io;
  Call trusted, untrusted;
  trusted.request.headers.set("Ordo-Timeout-Ms", "0");
  untrusted.request.headers.set("Ordo-Timeout-Ms", "0");
  start(io, middleware, handler, trusted);
  start(io, middleware, handler, untrusted, "/work", "10.1.2.3");
  io.run();
  auto expired = trusted.answer.get();
  EXPECT_EQ(expired.status, 504);
  EXPECT_EQ(expired.headers.get_or("Ordo-Shed", ""), "deadline");
  EXPECT_EQ(untrusted.answer.get().status, 200);
}

TEST(HttpAdmissionControl, AThrowingHandlerGivesItsSlotBack) {
  auto admission = one_group(1, 0ms);
  auto middleware = admission.middleware();
  Handler throwing = [](Request&) -> asio::awaitable<Response> {
    throw std::runtime_error("handler failed");
    co_return Response::empty(204);
  };
  asio::io_context io;
  Call failing;
  start(io, middleware, throwing, failing);
  io.run();
  EXPECT_THROW(failing.answer.get(), std::runtime_error);
  EXPECT_EQ(admission.in_flight_gauge(0)(), 0.0);
  io.restart();
  Call next;
  auto handler = holding_for(1ms);  // named: the request's coroutine refers to it until it ends
  start(io, middleware, handler, next);
  io.run();
  EXPECT_EQ(next.answer.get().status, 200);
}

}  // namespace
}  // namespace ordo::http
