// The users service's push subscriptions on both dialects: adding the same one again is the
// existing one, an endpoint moves to whoever subscribed it last, a user has at most so many, and
// every change announces the user's whole list in user.updated for the notifications service.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "contracts/events.hpp"
#include "platform/bus/outbox.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "services/users/service.hpp"
#include "services/users/store.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::users {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;
using Outcome = UserStore::AddedSubscription::Outcome;

class PushSubscriptionStoreTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    db_ = ordo::testing::open_test_database(GetParam(), ctx_, dir_, "users");
    auto schema = migrations();
    for (auto& migration : bus::bus_migrations())
      schema.push_back(migration);
    run_async(ctx_, sql::migrate(*db_, schema));
    store_ = std::make_unique<UserStore>(*db_);
  }
  void TearDown() override {
    store_.reset();
    ctx_.restart();
    ctx_.poll();
  }

  std::string new_user(const std::string& email) {
    NewUser user{email, "Pat", "argon2-hash-not-checked-here", "user"};
    auto created = run_async(ctx_, store_->create(user, ""));
    EXPECT_TRUE(created.has_value());
    return created ? created->id : "";
  }
  UserStore::AddedSubscription add(const std::string& user_id, const std::string& endpoint,
                                   const std::string& auth = "AAAAAAAAAAAAAAAAAAAAAA",
                                   std::size_t max = 10) {
    NewPushSubscription subscription{endpoint, "p256dh-of-" + endpoint, auth};
    return run_async(ctx_, store_->add_push_subscription(user_id, subscription, max, ""));
  }
  // The pushSubscriptions of the last user.updated about user_id in the outbox.
  std::vector<contracts::PushSubscription> announced(const std::string& user_id) {
    auto rows = run_async(ctx_, db_->query("SELECT payload FROM outbox WHERE type = 'user.updated' "
                                           "ORDER BY seq"));
    std::vector<contracts::PushSubscription> last;
    bool seen = false;
    for (const auto& row : rows.rows) {
      auto event = boost::json::parse(row.text(0)).as_object();
      auto data = contracts::events::user_registered_from_json(event.at("data"));
      if (data.user_id == user_id) {
        last = data.push_subscriptions;
        seen = true;
      }
    }
    EXPECT_TRUE(seen) << "no user.updated for " << user_id;
    return last;
  }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<UserStore> store_;
};

TEST_P(PushSubscriptionStoreTest, TheSameSubscriptionAgainIsTheExistingOne) {
  auto user = new_user("pat@example.com");
  auto first = add(user, "https://push.example/a");
  ASSERT_EQ(first.outcome, Outcome::created);
  auto again = add(user, "https://push.example/a");
  EXPECT_EQ(again.outcome, Outcome::existing);
  EXPECT_EQ(again.subscription.id, first.subscription.id);
  auto listed = run_async(ctx_, store_->push_subscriptions(user));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].endpoint, "https://push.example/a");
  auto event = announced(user);
  ASSERT_EQ(event.size(), 1u);
  EXPECT_EQ(event[0].p256dh, "p256dh-of-https://push.example/a");
  // New keys for the endpoint (the browser subscribed afresh): they replace the old ones.
  auto renewed = add(user, "https://push.example/a", "BBBBBBBBBBBBBBBBBBBBBB");
  EXPECT_EQ(renewed.outcome, Outcome::created);
  EXPECT_NE(renewed.subscription.id, first.subscription.id);
  ASSERT_EQ(announced(user).size(), 1u);
  EXPECT_EQ(announced(user)[0].auth, "BBBBBBBBBBBBBBBBBBBBBB");
}

TEST_P(PushSubscriptionStoreTest, AnEndpointMovesToWhoeverSubscribedItLast) {
  auto ann = new_user("ann@example.com");
  auto bob = new_user("bob@example.com");
  ASSERT_EQ(add(ann, "https://push.example/shared").outcome, Outcome::created);
  ASSERT_EQ(add(bob, "https://push.example/shared").outcome, Outcome::created);
  EXPECT_TRUE(run_async(ctx_, store_->push_subscriptions(ann)).empty());
  EXPECT_EQ(run_async(ctx_, store_->push_subscriptions(bob)).size(), 1u);
  EXPECT_TRUE(announced(ann).empty());  // the notifications service stops pushing to ann there
  EXPECT_EQ(announced(bob).size(), 1u);
}

TEST_P(PushSubscriptionStoreTest, AUserHasAtMostSoManyAndRemovesOnlyTheirOwn) {
  auto pat = new_user("pat@example.com");
  auto sam = new_user("sam@example.com");
  ASSERT_EQ(add(pat, "https://push.example/1", "AAAAAAAAAAAAAAAAAAAAAA", 2).outcome,
            Outcome::created);
  auto second = add(pat, "https://push.example/2", "AAAAAAAAAAAAAAAAAAAAAA", 2);
  ASSERT_EQ(second.outcome, Outcome::created);
  EXPECT_EQ(add(pat, "https://push.example/3", "AAAAAAAAAAAAAAAAAAAAAA", 2).outcome,
            Outcome::over_limit);
  EXPECT_FALSE(run_async(ctx_, store_->remove_push_subscription(sam, second.subscription.id, "")));
  EXPECT_TRUE(run_async(ctx_, store_->remove_push_subscription(pat, second.subscription.id, "")));
  EXPECT_FALSE(run_async(ctx_, store_->remove_push_subscription(pat, second.subscription.id, "")));
  auto left = announced(pat);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].endpoint, "https://push.example/1");
  EXPECT_EQ(add("no-such-user", "https://push.example/9").outcome, Outcome::no_user);
}

INSTANTIATE_TEST_SUITE_P(Dialects, PushSubscriptionStoreTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::users
