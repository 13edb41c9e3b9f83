// The SMS channel through the consumer, the store and the dispatcher on SQLite, against a real
// receiver on loopback: 500 and 429 are retried until the 201, a 400 fails the notification at
// once with the provider's message, and a user who left SMS off gets no SMS notification at all.
#include <gtest/gtest.h>

#include "../support/sms_receiver.hpp"
#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/dispatcher.hpp"
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

bus::CloudEvent registered(bool sms_on) {
  events::UserRegistered user{core::uuid_v7(), "sam@example.com", "Sam", "user", true};
  user.phone = "+4915112345678";
  user.preferences.by_kind["welcome"] = {true, sms_on, false};
  return bus::make_event("/ordo/users", std::string(events::kUserRegistered), user.user_id,
                         events::to_json(user), "");
}

class SmsDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // the retry warnings are expected here
    db_ = ordo::testing::open_test_database(sql::Dialect::sqlite, ctx_, dir_, "notifications");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, migrate(schema));
    handler_ = subscription(*db_, {"log", "sms"}, nullptr).handler;
  }
  void TearDown() override {
    ctx_.restart();
    ctx_.poll();
    log::set_level(log::Level::info);
  }
  asio::awaitable<void> migrate(std::vector<sql::Migration> schema) {
    co_await sql::migrate(*db_, schema);
  }
  std::unique_ptr<Dispatcher> dispatcher(const SmsReceiver& receiver) {
    ChannelSettings settings;
    settings.sms_url = receiver.base_url();
    settings.sms_account = "AC0123";
    settings.sms_token = "secret-token";
    settings.sms_from = "+15005550006";
    DispatcherOptions immediate;
    immediate.retry.base_delay = 0ms;  // retries fall due at once, so passes drive them
    return std::make_unique<Dispatcher>(ctx_.get_executor(), *db_,
                                        make_channels({"log", "sms"}, settings), immediate);
  }
  void deliver(const bus::CloudEvent& event) { run_async(ctx_, bus::deliver_one(handler_, event)); }
  void pass(Dispatcher& dispatcher) { run_async(ctx_, dispatcher.deliver_due(), 30s); }
  std::vector<Notification> sms_notifications() {
    auto query = [&]() -> asio::awaitable<std::vector<Notification>> {
      NotificationStore store(*db_);
      auto page = co_await store.list(ListFilter{}, std::nullopt, 10);
      std::vector<Notification> sms;
      for (auto& item : page.items) {
        if (item.channel == "sms")
          sms.push_back(item);
      }
      co_return sms;
    };
    return run_async(ctx_, query());
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
  bus::BatchHandler handler_;
};

TEST_F(SmsDispatchTest, ServerErrorsAndThrottlingAreRetriedUntilSent) {
  SmsReceiver receiver({500, 429});
  deliver(registered(true));
  auto sms = dispatcher(receiver);
  pass(*sms);
  auto first = sms_notifications();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, "pending");
  ASSERT_TRUE(first[0].last_error);
  EXPECT_NE(first[0].last_error->find("500"), std::string::npos) << *first[0].last_error;
  pass(*sms);
  EXPECT_EQ(sms_notifications().at(0).status, "pending");
  pass(*sms);
  auto done = sms_notifications().at(0);
  EXPECT_EQ(done.status, "delivered");
  EXPECT_EQ(done.attempts, 3);
  EXPECT_EQ(receiver.received().size(), 3u);
}

TEST_F(SmsDispatchTest, AClientErrorFailsAtOnceWithTheProvidersMessage) {
  SmsReceiver receiver({400});
  deliver(registered(true));
  auto sms = dispatcher(receiver);
  pass(*sms);
  pass(*sms);
  auto failed = sms_notifications().at(0);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.last_error, "the SMS provider answered 400: The 'To' number is not valid.");
  EXPECT_EQ(receiver.received().size(), 1u);
}

TEST_F(SmsDispatchTest, NoSmsNotificationWhenTheUserLeftSmsOff) {
  SmsReceiver receiver;
  deliver(registered(false));
  auto sms = dispatcher(receiver);
  pass(*sms);
  EXPECT_TRUE(sms_notifications().empty());
  EXPECT_TRUE(receiver.received().empty());
}

}  // namespace
}  // namespace ordo::services::notifications
