// GET /orders/{id}/events through the gateway, read as it streams (docs/streams.md): the current
// state at once, each change as it happens, the end after a terminal state, resuming with
// Last-Event-ID, heartbeats, who may watch, the ?access_token= of browsers, the cap on streams,
// changes made on another instance, and a shutdown that ends open streams cleanly.
#include <signal.h>

#include <atomic>

#include <gtest/gtest.h>

#include "event_stream_reader.hpp"
#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string create_product(Session& admin, std::int64_t stock) {
  return e2e::create_product(admin, {.name = "Streamed mug", .stock = stock});
}

std::string place(Session& session, const std::string& product, int quantity) {
  auto placed = place_order(session, {{product, quantity}});
  if (placed.status != 202)
    throw std::runtime_error("place order: " + std::to_string(placed.status));
  return placed.order.id;
}

std::string bearer(Session& session) {
  return "Bearer " + session.api().access_token();
}

json::object data_of(const SseEvent& event) {
  return json::parse(event.data).as_object();
}

class OrderStream : public ::testing::Test {
 protected:
  void SetUp() override {
    auto settings = unlimited_rate();
    settings.emplace_back("streams.heartbeat_ms", "300");
    ordo_ = std::make_unique<OrdoProcess>(settings);
    ASSERT_NO_FATAL_FAILURE(ordo_->start());
    admin_ = admin_session(*ordo_, runner_);
    ann_ = user_session(*ordo_, runner_, "ann");
  }

  std::unique_ptr<EventStreamReader> open(
      const std::string& order_id, Session& as,
      std::vector<std::pair<std::string, std::string>> extra = {}, std::string origin = {}) {
    extra.emplace_back("Authorization", bearer(as));
    return std::make_unique<EventStreamReader>(origin.empty() ? ordo_->gateway_origin() : origin,
                                               "/orders/" + order_id + "/events", std::move(extra));
  }

  // A confirmed order of ann's, and the stock it came from.
  std::string confirmed_order() {
    auto product = create_product(*admin_, 10);
    EXPECT_TRUE(eventually([&] { return available(*ann_, product) == 10; }));
    auto order_id = place(*ann_, product, 1);
    EXPECT_TRUE(eventually([&] {
      auto response = ann_->request("GET", "/orders/" + order_id);
      return Session::json(response).at("status").as_string() == "confirmed";
    }));
    return order_id;
  }

  std::unique_ptr<OrdoProcess> ordo_;
  Runner runner_;
  std::unique_ptr<Session> admin_;
  std::unique_ptr<Session> ann_;
};

TEST_F(OrderStream, PendingThenConfirmedThenCancelledThenTheEnd) {
  auto product = create_product(*admin_, 10);
  ASSERT_TRUE(eventually([&] { return available(*ann_, product) == 10; }));
  auto order_id = place(*ann_, product, 2);
  auto stream = open(order_id, *ann_);
  ASSERT_EQ(stream->status(), 200);
  EXPECT_EQ(stream->header("Content-Type").rfind("text/event-stream", 0), 0u);
  EXPECT_EQ(stream->header("Cache-Control"), "no-store");
  EXPECT_TRUE(stream->header("Content-Length").empty());

  // At once: the state it is in (still pending, or already confirmed by inventory).
  auto first = stream->next();
  ASSERT_TRUE(first);
  EXPECT_EQ(data_of(*first).at("id").as_string(), order_id);
  if (first->event == "order.created") {
    EXPECT_EQ(first->id, "1");
    EXPECT_EQ(data_of(*first).at("status").as_string(), "pending");
    first = stream->next();
    ASSERT_TRUE(first);
  }
  EXPECT_EQ(first->event, "order.confirmed");
  EXPECT_EQ(first->id, "2");
  EXPECT_EQ(data_of(*first).at("status").as_string(), "confirmed");

  // A confirmed order may still be cancelled: the stream stays open for it.
  auto cancelled = ann_->request("POST", "/orders/" + order_id + "/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  auto last = stream->next();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->event, "order.cancelled");
  EXPECT_EQ(last->id, "3");
  EXPECT_EQ(data_of(*last).at("status").as_string(), "cancelled");
  EXPECT_FALSE(stream->next());
  EXPECT_TRUE(stream->ended());  // the last chunk: a clean end, not a cut connection
}

TEST_F(OrderStream, LastEventIdResumesWithWhatWasMissed) {
  auto order_id = confirmed_order();
  ASSERT_EQ(ann_->request("POST", "/orders/" + order_id + "/cancel").status, 200);

  auto from_start = open(order_id, *ann_, {{"Last-Event-ID", "0"}});
  ASSERT_EQ(from_start->status(), 200);
  std::vector<std::string> names;
  std::vector<std::string> statuses;
  while (auto event = from_start->next()) {
    names.push_back(event->id + " " + event->event);
    statuses.push_back(std::string(data_of(*event).at("status").as_string()));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"1 order.created", "2 order.confirmed",
                                             "3 order.cancelled"}));
  EXPECT_EQ(statuses, (std::vector<std::string>{"pending", "confirmed", "cancelled"}));
  EXPECT_TRUE(from_start->ended());

  auto after_two = open(order_id, *ann_, {{"Last-Event-ID", "2"}});
  auto only = after_two->next();
  ASSERT_TRUE(only);
  EXPECT_EQ(only->id, "3");
  EXPECT_FALSE(after_two->next());

  // Up to date with a terminal order: nothing to send, the stream ends at once.
  auto up_to_date = open(order_id, *ann_, {{"Last-Event-ID", "3"}});
  EXPECT_FALSE(up_to_date->next());
  EXPECT_TRUE(up_to_date->ended());

  // An id this order never had (or garbage): the current state.
  auto unknown = open(order_id, *ann_, {{"Last-Event-ID", "not-a-number"}});
  auto current = unknown->next();
  ASSERT_TRUE(current);
  EXPECT_EQ(current->id, "3");
}

TEST_F(OrderStream, ARejectedOrderEndsWithTheReason) {
  auto product = create_product(*admin_, 1);
  ASSERT_TRUE(eventually([&] { return available(*ann_, product) == 1; }));
  auto order_id = place(*ann_, product, 5);
  auto stream = open(order_id, *ann_);
  std::optional<SseEvent> last;
  while (auto event = stream->next())
    last = std::move(event);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->event, "order.rejected");
  auto order = data_of(*last);
  EXPECT_EQ(order.at("status").as_string(), "rejected");
  EXPECT_EQ(order.at("rejectionReason").at("code").as_string(), "insufficient_stock");
  EXPECT_TRUE(stream->ended());
}

TEST_F(OrderStream, OnlyTheOwnerAndAdminsMayWatch) {
  auto order_id = confirmed_order();
  auto bob = user_session(*ordo_, runner_, "bob");
  auto stranger = open(order_id, *bob);
  EXPECT_EQ(stranger->status(), 404);
  EXPECT_NE(stranger->body().find("no such order"), std::string::npos);

  EventStreamReader anonymous(ordo_->gateway_origin(), "/orders/" + order_id + "/events");
  EXPECT_EQ(anonymous.status(), 401);

  auto admin = open(order_id, *admin_);
  ASSERT_EQ(admin->status(), 200);
  auto event = admin->next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->event, "order.confirmed");

  // A browser's EventSource cannot set headers: the token may come in the query instead.
  EventStreamReader browser(
      ordo_->gateway_origin(),
      "/orders/" + order_id + "/events?access_token=" + ann_->api().access_token());
  ASSERT_EQ(browser.status(), 200);
  ASSERT_TRUE(browser.next());
  EventStreamReader forged(ordo_->gateway_origin(),
                           "/orders/" + order_id + "/events?access_token=forged");
  EXPECT_EQ(forged.status(), 401);
  // Only on stream routes.
  auto elsewhere =
      Session(runner_, ordo_->gateway_origin())
          .request("GET", "/orders/" + order_id + "?access_token=" + ann_->api().access_token());
  EXPECT_EQ(elsewhere.status, 401);
}

TEST_F(OrderStream, HeartbeatsKeepAQuietStreamAlive) {
  auto order_id = confirmed_order();
  auto stream = open(order_id, *ann_);
  ASSERT_TRUE(stream->next());
  // Nothing changes: only heartbeat comments (every 300 ms here) arrive.
  EXPECT_TRUE(eventually([&] {
    EXPECT_FALSE(stream->next(100ms));
    return stream->comments() >= 2;
  }));
  EXPECT_FALSE(stream->closed());
}

// Distributed, orders runs as several processes: a stream on each sees a cancel made on the first,
// so at least one stream learns of a change made by another process.
TEST_F(OrderStream, EveryInstanceSeesAChangeMadeOnAnother) {
  auto order_id = confirmed_order();
  auto origins = ordo_->service_origins("orders");
  ASSERT_FALSE(origins.empty());
  std::vector<std::unique_ptr<EventStreamReader>> streams;
  for (const auto& origin : origins) {
    streams.push_back(open(order_id, *ann_, {}, origin));
    ASSERT_EQ(streams.back()->status(), 200) << origin;
    auto current = streams.back()->next();
    ASSERT_TRUE(current);
    EXPECT_EQ(current->event, "order.confirmed");
  }
  http::Client direct(runner_.io().get_executor());
  http::OutgoingRequest cancel;
  cancel.method = "POST";
  cancel.target = "/orders/" + order_id + "/cancel";
  cancel.headers.set("Authorization", bearer(*ann_));
  auto answer = runner_.run(direct.send(origins.front(), std::move(cancel)));
  ASSERT_EQ(answer.status, 200) << answer.body;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    auto event = streams[i]->next();
    ASSERT_TRUE(event) << origins[i];
    EXPECT_EQ(event->event, "order.cancelled") << origins[i];
    EXPECT_FALSE(streams[i]->next()) << origins[i];
  }
}

TEST_F(OrderStream, ShutdownEndsOpenStreamsCleanly) {
  auto order_id = confirmed_order();
  auto stream = open(order_id, *ann_);
  ASSERT_TRUE(stream->next());
  ordo_->signal(SIGTERM);
  EXPECT_FALSE(stream->next());
  EXPECT_TRUE(stream->ended());  // the last chunk came: ended, not cut off at the grace period
  EXPECT_EQ(ordo_->wait(), 0);
}

// GET /notifications/stream: the caller's new notifications as they are stored, resumable.
TEST_F(OrderStream, TheNotificationStreamDeliversNewNotifications) {
  EventStreamReader stream(ordo_->gateway_origin(), "/notifications/stream",
                           {{"Authorization", bearer(*ann_)}});
  ASSERT_EQ(stream.status(), 200);
  EXPECT_EQ(stream.header("Content-Type").rfind("text/event-stream", 0), 0u);
  auto ann_id = std::string(Session::json(ann_->request("GET", "/users/me")).at("id").as_string());
  auto order_id = confirmed_order();  // the buyer is told: a notification is stored
  std::optional<SseEvent> told;
  for (int i = 0; i < 10 && !told; ++i) {
    auto event = stream.next();
    ASSERT_TRUE(event);
    EXPECT_EQ(event->event, "notification");
    auto data = data_of(*event);
    EXPECT_EQ(data.at("id").as_string(), event->id);
    EXPECT_EQ(data.at("recipientId").as_string(), ann_id);
    if (data.at("eventType").as_string() == "order.confirmed")
      told = event;
  }
  ASSERT_TRUE(told) << "no order.confirmed notification for " << order_id;
  // Quiet now: heartbeats only.
  EXPECT_TRUE(eventually([&] {
    stream.next(100ms);
    return stream.comments() >= 1;
  }));

  // Resuming from an id before it sends it again; from its own id, not.
  EventStreamReader from_start(ordo_->gateway_origin(), "/notifications/stream",
                               {{"Authorization", bearer(*ann_)},
                                {"Last-Event-ID", "00000000-0000-7000-8000-000000000000"}});
  bool again = false;
  for (int i = 0; i < 10 && !again; ++i) {
    auto event = from_start.next();
    ASSERT_TRUE(event);
    again = event->id == told->id;
  }
  EXPECT_TRUE(again);
  EventStreamReader after(ordo_->gateway_origin(), "/notifications/stream",
                          {{"Authorization", bearer(*ann_)}, {"Last-Event-ID", told->id}});
  while (auto event = after.next(1s))
    EXPECT_GT(event->id, told->id);

  // Anonymous callers are refused; the query token works here too.
  EventStreamReader anonymous(ordo_->gateway_origin(), "/notifications/stream");
  EXPECT_EQ(anonymous.status(), 401);
  EventStreamReader browser(ordo_->gateway_origin(),
                            "/notifications/stream?access_token=" + ann_->api().access_token());
  EXPECT_EQ(browser.status(), 200);
}

TEST(OrderStreamCap, PastTheLimitA503WithRetryAfter) {
  auto settings = unlimited_rate();
  settings.emplace_back("streams.max_open", "1");
  OrdoProcess ordo(settings);
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto user = user_session(ordo, runner, "capped");
  auto product = create_product(*admin, 10);
  ASSERT_TRUE(eventually([&] { return available(*user, product) == 10; }));
  auto order_id = place(*user, product, 1);
  // Straight to one instance: the gateway could pick another one for the second stream.
  auto origin = ordo.service_origin("orders");
  std::vector<std::pair<std::string, std::string>> auth{{"Authorization", bearer(*user)}};
  EventStreamReader first(origin, "/orders/" + order_id + "/events", auth);
  ASSERT_EQ(first.status(), 200);
  EventStreamReader second(origin, "/orders/" + order_id + "/events", auth);
  EXPECT_EQ(second.status(), 503);
  EXPECT_FALSE(second.header("Retry-After").empty());
  first.close();
  // The slot comes back once the first stream has noticed its reader left.
  EXPECT_TRUE(eventually([&] {
    EventStreamReader again(origin, "/orders/" + order_id + "/events", auth);
    return again.status() == 200;
  }));
}

}  // namespace
}  // namespace ordo::e2e
