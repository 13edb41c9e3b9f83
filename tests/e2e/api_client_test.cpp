// The typed client (src/client) against the real system: every call it offers, through the
// gateway, in each mode. A shape the client cannot read, or a status it does not expect, fails.
#include <algorithm>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../support/web_push_client.hpp"
#include "harness.hpp"

namespace ordo::e2e {
namespace {
namespace json = boost::json;
using client::ApiError;

Settings client_settings() {
  auto settings = unlimited_rate();
  // The webhook registered below points at loopback, which the SSRF rules refuse otherwise.
  settings.emplace_back("notifications.webhook_allow_private", "true");
  // For the VAPID key's route.
  settings.emplace_back("notifications.push_enabled", "true");
  settings.emplace_back("notifications.vapid_subject", "mailto:ops@shop.example");
  return settings;
}

TEST(ApiClient, CatalogAndStockCalls) {
  OrdoProcess ordo(client_settings());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto& api = admin->api();

  auto created = admin->run(api.create_product(json::object{{"sku", "CLIENT-MUG"},
                                                            {"name", "Blue mug & saucer"},
                                                            {"priceCents", 1250},
                                                            {"currency", "EUR"},
                                                            {"category", "kitchen ware"},
                                                            {"initialStock", 5}}));
  const auto id = created.value.id;
  EXPECT_EQ(created.value.name, "Blue mug & saucer");
  EXPECT_FALSE(created.etag.empty());

  auto fetched = admin->run(api.product(id));
  EXPECT_EQ(fetched.value.sku, "CLIENT-MUG");
  auto changed =
      admin->run(api.patch_product(id, json::object{{"priceCents", 1300}}, fetched.etag));
  EXPECT_EQ(changed.value.price_cents, 1300);
  EXPECT_NE(changed.etag, fetched.etag);
  try {
    admin->run(api.patch_product(id, json::object{{"priceCents", 1400}}, fetched.etag));
    ADD_FAILURE() << "a change based on a stale ETag was accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 412);
  }

  // Query values with spaces and '&' reach the service intact.
  auto search = admin->run(api.products({{"q", "mug & saucer"}, {"category", "kitchen ware"}}));
  ASSERT_EQ(search.items.size(), 1u);
  EXPECT_EQ(search.items[0].id, id);

  ASSERT_TRUE(eventually([&] { return available(*admin, id) == 5; }));
  auto stock = admin->run(api.stock(id));
  EXPECT_EQ(stock.value.available, 5);
  auto replenished = admin->run(api.replenish(id, contracts::ReplenishRequest{3, "delivery"}));
  EXPECT_EQ(replenished.value.available, 8);
  auto current = admin->run(api.stock(id));
  auto counted =
      admin->run(api.set_stock(id, contracts::StockCountRequest{2, "counted", 4}, current.etag));
  EXPECT_EQ(counted.value.available, 2);
  EXPECT_EQ(counted.value.low_stock_threshold, 4);
  auto ledger = admin->run(api.stock_movements(id, {{"limit", "10"}}));
  ASSERT_GE(ledger.items.size(), 3u);
  EXPECT_EQ(ledger.items.front().product_id, id);
  auto low = admin->run(api.low_stock());
  EXPECT_TRUE(std::any_of(low.items.begin(), low.items.end(),
                          [&](const auto& item) { return item.product_id == id; }));

  auto latest = admin->run(api.product(id));
  admin->run(api.archive_product(id, latest.etag));
  EXPECT_EQ(admin->run(api.product(id)).value.status, contracts::kProductArchived);
}

TEST(ApiClient, OrderAndNotificationCalls) {
  OrdoProcess ordo(client_settings());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto product = admin->run(admin->api().create_product(json::object{{"sku", "CLIENT-PLATE"},
                                                                     {"name", "Plate"},
                                                                     {"priceCents", 300},
                                                                     {"currency", "EUR"},
                                                                     {"initialStock", 10}}));
  auto buyer = user_session(ordo, runner, "client-buyer");
  auto& api = buyer->api();
  ASSERT_TRUE(eventually([&] { return available(*buyer, product.value.id) == 10; }));

  client::OrderRequest request{
      {{product.value.id, 2}, {product.value.id, 1}}, "by the client", "client-key-1", 10};
  auto placed = buyer->run(api.place_order(request));
  EXPECT_EQ(placed.status, 201);
  EXPECT_EQ(placed.order.status, "confirmed");
  ASSERT_EQ(placed.order.items.size(), 1u);  // the two lines of one product are merged
  EXPECT_EQ(placed.order.items[0].quantity, 3);
  EXPECT_EQ(placed.location, "/orders/" + placed.order.id);
  EXPECT_FALSE(placed.replayed);
  auto replay = buyer->run(api.place_order(request));
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.order.id, placed.order.id);

  EXPECT_EQ(buyer->run(api.order(placed.order.id)).note, "by the client");
  auto mine = buyer->run(api.orders({{"status", "confirmed"}}));
  ASSERT_EQ(mine.items.size(), 1u);
  EXPECT_EQ(buyer->run(api.cancel_order(placed.order.id)).status, "cancelled");
  auto everyone = admin->run(admin->api().orders({{"userId", placed.order.user_id}}));
  ASSERT_EQ(everyone.items.size(), 1u);

  contracts::Notification seen;
  ASSERT_TRUE(eventually([&] {
    auto page = buyer->run(api.notifications({{"limit", "50"}}));
    if (page.items.empty())
      return false;
    seen = page.items.front();
    return true;
  }));
  EXPECT_EQ(buyer->run(api.notification(seen.id)).id, seen.id);
  EXPECT_FALSE(buyer->run(api.vapid_public_key()).empty());
}

TEST(ApiClient, AccountAndWebhookCalls) {
  OrdoProcess ordo(client_settings());
  ASSERT_NO_FATAL_FAILURE(ordo.start());
  Runner runner;
  auto admin = admin_session(ordo, runner);
  auto user = user_session(ordo, runner, "client-account");
  auto& api = user->api();

  auto me = user->run(api.patch_me(json::object{{"name", "Ada"}, {"phone", "+441632960961"}}));
  EXPECT_EQ(me.name, "Ada");
  auto preferences = user->run(api.notification_preferences());
  auto changed = user->run(api.set_notification_preferences(preferences));
  EXPECT_EQ(json::serialize(contracts::to_json(changed)),
            json::serialize(contracts::to_json(preferences)));

  testing::WebPushClient browser;
  json::object subscription{
      {"endpoint", "https://push.example/send/abc"},
      {"keys", json::object{{"p256dh", browser.p256dh()}, {"auth", browser.auth()}}}};
  auto added = user->run(api.add_push_subscription(subscription));
  EXPECT_EQ(user->run(api.add_push_subscription(subscription)).id, added.id);
  ASSERT_EQ(user->run(api.push_subscriptions()).size(), 1u);
  user->run(api.remove_push_subscription(added.id));
  EXPECT_TRUE(user->run(api.push_subscriptions()).empty());

  auto listed = admin->run(admin->api().users(100, std::nullopt));
  EXPECT_FALSE(listed.items.empty());
  EXPECT_EQ(admin->run(admin->api().user(me.id)).email, me.email);
  EXPECT_FALSE(user->run(api.jwks()).at("keys").as_array().empty());

  auto& admin_api = admin->api();
  auto hook = admin->run(admin_api.create_webhook(
      contracts::WebhookRegistration{"http://127.0.0.1:9/in", {"order.confirmed"}, "client"}));
  ASSERT_TRUE(hook.secret.has_value());
  EXPECT_TRUE(hook.secret->starts_with("whsec_"));
  EXPECT_FALSE(admin->run(admin_api.webhook(hook.id)).secret.has_value());
  auto disabled =
      admin->run(admin_api.patch_webhook(hook.id, json::object{{"status", "disabled"}}));
  EXPECT_EQ(disabled.status, "disabled");
  EXPECT_EQ(admin->run(admin_api.webhooks()).items.size(), 1u);
  EXPECT_TRUE(admin->run(admin_api.webhook_deliveries(hook.id)).items.empty());
  admin->run(admin_api.remove_webhook(hook.id));
  try {
    admin->run(admin_api.webhook(hook.id));
    ADD_FAILURE() << "a removed webhook is still there";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

}  // namespace
}  // namespace ordo::e2e
