// The Web Push channel through the consumer, the store and the dispatcher (both dialects), against
// a real receiver on loopback standing in for a push service: what arrives decrypts with the
// subscription's keys and carries a valid VAPID token; 410 fails the notification and the view
// forgets the subscription; 500 is retried; push left off, or no subscription, stores nothing.
#include <gtest/gtest.h>

#include <ctime>

#include <boost/json/parse.hpp>

#include "../support/sms_receiver.hpp"
#include "../support/web_push_client.hpp"
#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/dispatcher.hpp"
#include "services/notifications/push_channel.hpp"
#include "services/notifications/service.hpp"
#include "services/notifications/store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
using namespace std::chrono_literals;
using ordo::testing::run_async;
using ordo::testing::SmsReceiver;
using ordo::testing::WebPushClient;

TEST(PushPayload, CarriesTitleBodyAndTheOrder) {
  Notification notification;
  notification.subject = "Order o-1 confirmed";
  notification.body = "Your order o-1 is confirmed.";
  notification.data = R"({"orderId":"o-1","status":"confirmed"})";
  auto payload = boost::json::parse(push_payload(notification)).as_object();
  EXPECT_EQ(payload.at("title").as_string(), "Order o-1 confirmed");
  EXPECT_EQ(payload.at("body").as_string(), "Your order o-1 is confirmed.");
  EXPECT_EQ(payload.at("orderId").as_string(), "o-1");
  EXPECT_FALSE(payload.contains("status"));
  notification.body = std::string(10'000, 'x');
  EXPECT_LE(push_payload(notification).size(), 3'000u);
}

TEST(ChannelChoice, PushFollowsPreferencesAndNeedsASubscription) {
  Recipient recipient;
  recipient.user_id = "u-1";
  EXPECT_FALSE(wants_channel(recipient, events::kOrderConfirmed, "push"));  // the default
  recipient.preferences.by_kind["orderConfirmed"] = {true, false, true};
  EXPECT_FALSE(wants_channel(recipient, events::kOrderConfirmed, "push"));  // no browser
  recipient.push_subscriptions.push_back({"s-1", "https://push.example/1", "k", "a", ""});
  EXPECT_TRUE(wants_channel(recipient, events::kOrderConfirmed, "push"));
  EXPECT_FALSE(wants_channel(recipient, events::kOrderCancelled, "push"));
}

class PushDispatchTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // the retry warnings are expected here
    db_ = ordo::testing::open_test_database(GetParam(), ctx_, dir_, "notifications");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, migrate(schema));
    handler_ = subscription(*db_, {"log", "push"}, nullptr).handler;
  }
  void TearDown() override {
    ctx_.restart();
    ctx_.poll();
    log::set_level(log::Level::info);
  }
  asio::awaitable<void> migrate(std::vector<sql::Migration> schema) {
    co_await sql::migrate(*db_, schema);
  }
  bus::CloudEvent registered(bool push_on, const std::string& endpoint) {
    events::UserRegistered user{user_id_, "pat@example.com", "Pat", "user", true};
    user.preferences.by_kind["welcome"] = {true, false, push_on};
    if (!endpoint.empty()) {
      user.push_subscriptions.push_back(
          {core::uuid_v7(), endpoint, browser_.p256dh(), browser_.auth(), "2026-12-01T00:00:00Z"});
    }
    return bus::make_event("/ordo/users", std::string(events::kUserRegistered), user.user_id,
                           events::to_json(user), "");
  }
  std::unique_ptr<Dispatcher> dispatcher() {
    ChannelSettings settings;
    settings.vapid_key = vapid_;
    settings.vapid_subject = "mailto:ops@shop.example";
    settings.push_allow_private = true;  // the receiver is on loopback
    settings.on_push_expired = [this](std::string user_id, std::string endpoint) {
      return forget(std::move(user_id), std::move(endpoint));
    };
    DispatcherOptions immediate;
    immediate.retry.base_delay = 0ms;
    return std::make_unique<Dispatcher>(ctx_.get_executor(), *db_,
                                        make_channels({"log", "push"}, settings), immediate);
  }
  asio::awaitable<void> forget(std::string user_id, std::string endpoint) {
    NotificationStore store(*db_);
    co_await store.remove_push_subscription(std::move(user_id), std::move(endpoint));
  }
  void deliver(const bus::CloudEvent& event) { run_async(ctx_, bus::deliver_one(handler_, event)); }
  void pass(Dispatcher& dispatcher) { run_async(ctx_, dispatcher.deliver_due(), 30s); }
  std::vector<Notification> push_notifications() {
    auto query = [&]() -> asio::awaitable<std::vector<Notification>> {
      NotificationStore store(*db_);
      auto page = co_await store.list(ListFilter{}, std::nullopt, 10);
      std::vector<Notification> push;
      for (auto& item : page.items) {
        if (item.channel == "push")
          push.push_back(item);
      }
      co_return push;
    };
    return run_async(ctx_, query());
  }
  std::size_t subscriptions_in_view() {
    auto query = [&]() -> asio::awaitable<std::size_t> {
      NotificationStore store(*db_);
      auto recipient = co_await store.recipient(user_id_);
      co_return recipient ? recipient->push_subscriptions.size() : 0;
    };
    return run_async(ctx_, query());
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
  bus::BatchHandler handler_;
  std::string user_id_ = core::uuid_v7();
  WebPushClient browser_;
  auth::P256Key vapid_ = auth::P256Key::generate();
};

TEST_P(PushDispatchTest, TheBrowserDecryptsTheMessageAndTheVapidTokenHolds) {
  SmsReceiver push_service;
  deliver(registered(true, push_service.url("/push/abc")));
  auto push = dispatcher();
  pass(*push);
  auto sent = push_notifications();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].status, "delivered");
  auto received = push_service.received();
  ASSERT_EQ(received.size(), 1u);
  const auto& head = received[0].head;
  EXPECT_EQ(head.rfind("POST /push/abc HTTP/1.1", 0), 0u) << head;
  EXPECT_EQ(SmsReceiver::header(head, "Content-Encoding"), "aes128gcm");
  EXPECT_EQ(SmsReceiver::header(head, "Content-Type"), "application/octet-stream");
  EXPECT_EQ(SmsReceiver::header(head, "TTL"), "86400");
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  EXPECT_EQ(ordo::testing::vapid_problem(SmsReceiver::header(head, "Authorization"),
                                         push_service.origin(), now),
            "");
  auto plaintext = browser_.decrypt(received[0].body);
  ASSERT_TRUE(plaintext.has_value());
  auto payload = boost::json::parse(*plaintext).as_object();
  EXPECT_EQ(payload.at("title").as_string(), "Welcome to Ordo");
  EXPECT_NE(std::string(payload.at("body").as_string()).find("Pat"), std::string::npos);
}

TEST_P(PushDispatchTest, GoneFailsAtOnceAndTheViewForgetsTheSubscription) {
  SmsReceiver push_service({410});
  deliver(registered(true, push_service.url("/push/gone")));
  ASSERT_EQ(subscriptions_in_view(), 1u);
  auto push = dispatcher();
  pass(*push);
  pass(*push);
  auto failed = push_notifications().at(0);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.last_error, "the push subscription has expired (410)");
  EXPECT_EQ(subscriptions_in_view(), 0u);
  EXPECT_EQ(push_service.received().size(), 1u);
}

TEST_P(PushDispatchTest, ServerErrorsAreRetriedUntilTaken) {
  SmsReceiver push_service({500, 429});
  deliver(registered(true, push_service.url("/push/busy")));
  auto push = dispatcher();
  pass(*push);
  auto first = push_notifications().at(0);
  EXPECT_EQ(first.status, "pending");
  ASSERT_TRUE(first.last_error);
  EXPECT_NE(first.last_error->find("500"), std::string::npos) << *first.last_error;
  pass(*push);
  pass(*push);
  auto done = push_notifications().at(0);
  EXPECT_EQ(done.status, "delivered");
  EXPECT_EQ(done.attempts, 3);
  EXPECT_EQ(subscriptions_in_view(), 1u);
}

TEST_P(PushDispatchTest, AnotherClientErrorFailsWithTheReply) {
  SmsReceiver push_service({400});
  deliver(registered(true, push_service.url("/push/bad")));
  auto push = dispatcher();
  pass(*push);
  auto failed = push_notifications().at(0);
  EXPECT_EQ(failed.status, "failed");
  ASSERT_TRUE(failed.last_error);
  EXPECT_EQ(failed.last_error->rfind("the push service answered 400", 0), 0u) << *failed.last_error;
}

TEST_P(PushDispatchTest, APrivateEndpointIsRefusedUnlessAllowed) {
  SmsReceiver push_service;
  deliver(registered(true, push_service.url("/push/inside")));
  ChannelSettings settings;
  settings.vapid_key = vapid_;
  settings.vapid_subject = "mailto:ops@shop.example";
  DispatcherOptions immediate;
  immediate.retry.base_delay = 0ms;
  Dispatcher guarded(ctx_.get_executor(), *db_, make_channels({"log", "push"}, settings),
                     immediate);
  pass(guarded);
  auto failed = push_notifications().at(0);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.last_error, "the push endpoint resolves to a private address");
  EXPECT_TRUE(push_service.received().empty());
}

TEST_P(PushDispatchTest, NoPushNotificationWhenOffOrWithoutABrowser) {
  SmsReceiver push_service;
  deliver(registered(false, push_service.url("/push/off")));
  user_id_ = core::uuid_v7();
  deliver(registered(true, ""));
  auto push = dispatcher();
  pass(*push);
  EXPECT_TRUE(push_notifications().empty());
  EXPECT_TRUE(push_service.received().empty());
}

INSTANTIATE_TEST_SUITE_P(Dialects, PushDispatchTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::notifications
