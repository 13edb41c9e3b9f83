// The e-mail channel against a real SMTP server on loopback (tests/support/smtp_sink.py, built on
// aiosmtpd), through the consumer, the store and the dispatcher on SQLite: a message arrives with
// valid headers, a 451 is retried until delivered, a 550 is failed with the server's reply.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../support/smtp_sink.hpp"
#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/core/ids.hpp"
#include "platform/core/ports.hpp"
#include "platform/log/log.hpp"
#include "platform/sql/migrations.hpp"
#include "platform/sql/sqlite_database.hpp"
#include "postgres_test_support.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/dispatcher.hpp"
#include "services/notifications/email_channel.hpp"
#include "services/notifications/service.hpp"
#include "services/notifications/store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
namespace json = boost::json;
using namespace std::chrono_literals;
using ordo::testing::run_async;
using ordo::testing::SmtpSink;

constexpr const char* kRetryAddress = "retry@example.com";     // the sink answers 451 twice
constexpr const char* kRefusedAddress = "nobody@example.com";  // the sink answers 550

bus::CloudEvent registered(const std::string& email, const std::string& name) {
  events::UserRegistered user{core::uuid_v7(), email, name, "user", true};
  return bus::make_event("/ordo/users", std::string(events::kUserRegistered), user.user_id,
                         events::to_json(user), "");
}

class SmtpChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_level(log::Level::off);  // the retry warnings are expected here
    db_ = ordo::testing::open_test_database(sql::Dialect::sqlite, ctx_, dir_, "notifications");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, migrate(schema));
    handler_ = subscription(*db_, {"email"}, nullptr).handler;
  }
  void TearDown() override {
    ctx_.restart();
    ctx_.poll();
    log::set_level(log::Level::info);
  }
  asio::awaitable<void> migrate(std::vector<sql::Migration> schema) {
    co_await sql::migrate(*db_, schema);
  }

  std::unique_ptr<Dispatcher> dispatcher(const std::string& smtp_url) {
    ChannelSettings settings{smtp_url, "Ordo Shop <shop@ordo.example>", ""};
    DispatcherOptions immediate;
    immediate.retry.base_delay = 0ms;  // retries fall due at once, so passes drive them
    return std::make_unique<Dispatcher>(ctx_.get_executor(), *db_,
                                        make_channels({"email"}, settings), immediate);
  }
  void deliver(const bus::CloudEvent& event) { run_async(ctx_, bus::deliver_one(handler_, event)); }
  std::size_t pass(Dispatcher& dispatcher) {
    return run_async(ctx_, dispatcher.deliver_due(), 90s);
  }
  Notification only_notification() {
    auto query = [&]() -> asio::awaitable<Notification> {
      NotificationStore store(*db_);
      auto page = co_await store.list(ListFilter{}, std::nullopt, 10);
      if (page.items.size() != 1)
        throw std::runtime_error("expected one notification");
      co_return page.items.front();
    };
    return run_async(ctx_, query());
  }

  ordo::testing::TempDir dir_;
  SmtpSink sink_{
      dir_.file("smtp"),
      {"--temp-fail", std::string(kRetryAddress) + ":2", "--perm-fail", kRefusedAddress}};
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
  bus::BatchHandler handler_;
};

TEST_F(SmtpChannelTest, WelcomeArrivesAsValidMultipartMail) {
  deliver(registered("ann@example.com", "Ann <Admin> & Co"));
  auto email = dispatcher(sink_.url());
  EXPECT_EQ(pass(*email), 1u);
  auto sent = only_notification();
  EXPECT_EQ(sent.status, "delivered");
  EXPECT_EQ(sent.channel, "email");

  auto files = sink_.messages();
  ASSERT_EQ(files.size(), 1u);
  auto mail = SmtpSink::parse(files[0]);
  EXPECT_EQ(mail.at("defects").as_array().size(), 0u) << json::serialize(mail);
  EXPECT_EQ(mail.at("from"), "Ordo Shop <shop@ordo.example>");
  EXPECT_EQ(mail.at("to"), "ann@example.com");
  EXPECT_EQ(mail.at("subject"), "Welcome to Ordo");
  EXPECT_TRUE(mail.at("dateValid").as_bool());
  EXPECT_TRUE(mail.at("messageId").as_string().ends_with("@ordo.example>"));
  EXPECT_EQ(mail.at("mimeVersion"), "1.0");
  EXPECT_EQ(mail.at("contentType"), "multipart/alternative");
  const auto& parts = mail.at("parts").as_array();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].at("type"), "text/plain");
  EXPECT_EQ(parts[1].at("type"), "text/html");
  std::string text(parts[0].at("content").as_string());
  std::string html(parts[1].at("content").as_string());
  EXPECT_NE(text.find("Hello Ann <Admin> & Co,"), std::string::npos) << text;
  EXPECT_NE(html.find("Hello Ann &lt;Admin&gt; &amp; Co,"), std::string::npos) << html;
}

TEST_F(SmtpChannelTest, TemporaryRefusalIsRetriedUntilDelivered) {
  deliver(registered(kRetryAddress, "Rita"));
  auto email = dispatcher(sink_.url());
  pass(*email);
  auto first = only_notification();
  EXPECT_EQ(first.status, "pending");
  EXPECT_EQ(first.attempts, 1);
  ASSERT_TRUE(first.last_error);
  EXPECT_NE(first.last_error->find("451"), std::string::npos) << *first.last_error;
  pass(*email);
  EXPECT_EQ(only_notification().status, "pending");
  pass(*email);
  auto done = only_notification();
  EXPECT_EQ(done.status, "delivered");
  EXPECT_EQ(done.attempts, 3);
  ASSERT_EQ(sink_.messages().size(), 1u);
  EXPECT_EQ(SmtpSink::parse(sink_.messages()[0]).at("to"), kRetryAddress);
}

TEST_F(SmtpChannelTest, PermanentRefusalIsFailedWithTheServersReply) {
  deliver(registered(kRefusedAddress, "Nobody"));
  auto email = dispatcher(sink_.url());
  EXPECT_EQ(pass(*email), 1u);
  auto failed = only_notification();
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.attempts, 1);
  ASSERT_TRUE(failed.last_error);
  EXPECT_NE(failed.last_error->find("550"), std::string::npos) << *failed.last_error;
  EXPECT_NE(failed.last_error->find("mailbox unavailable"), std::string::npos)
      << *failed.last_error;
  EXPECT_EQ(pass(*email), 0u);  // never tried again
  EXPECT_TRUE(sink_.messages().empty());
}

TEST_F(SmtpChannelTest, UnreachableServerIsRetried) {
  deliver(registered("ann@example.com", "Ann"));
  auto email = dispatcher("smtp://127.0.0.1:" + std::to_string(core::pick_free_port()));
  pass(*email);
  auto pending = only_notification();
  EXPECT_EQ(pending.status, "pending");
  EXPECT_EQ(pending.attempts, 1);
  EXPECT_TRUE(pending.last_error);
}

}  // namespace
}  // namespace ordo::services::notifications
