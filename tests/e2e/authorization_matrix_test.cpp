// OWASP API Security Top 10 (2023), security issue 10 "Beyond the findings": who may call what.
//
// The heart is a table: every route of the API contract, with the status each kind of caller gets
// (anonymous, the user who owns the object, another user, an admin). It covers object-level (API1)
// and function-level (API5) authorization, and EveryDocumentedRouteHasARow compares it with the
// contract the gateway serves (docs/openapi.json, embedded at build time), so a route added to
// the contract without a row here fails. The other tests cover the items that apply beyond
// what the other suites show (docs/security.md maps every item to its tests):
//   API3 mass assignment (registration's role: users_journey_test
//   RegisterNeverGrantsRoleOrLeaksHash), API4 page sizes (bodies: bad_input_test
//   OversizedBodyIs413; logins and sign-ups: abuse_test), API8 what errors show (headers:
//   exposure_test), API9 unknown and debug routes (unknown path and method: bad_input_test
//   UnknownPathsAndMethods).
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../support/web_push_client.hpp"
#include "event_stream_reader.hpp"
#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {
namespace json = boost::json;

enum class Caller { anonymous, owner, other, admin };
constexpr Caller kCallers[] = {Caller::anonymous, Caller::owner, Caller::other, Caller::admin};

const char* caller_name(Caller caller) {
  switch (caller) {
    case Caller::anonymous:
      return "anonymous";
    case Caller::owner:
      return "owner";
    case Caller::other:
      return "other user";
    case Caller::admin:
      return "admin";
  }
  return "?";
}

// What {id} in a route stands for: an object of the owner (ann, then bob), never of the other
// user. Objects with no owner (products) are the same for every caller.
enum class Object { none, user, product, order, notification, webhook, push_subscription };

// Whether a call changes what later calls see: then each caller gets its own copy.
enum class Fresh {
  no,
  object,   // a new object per caller (cancelling, archiving)
  session,  // a new login per caller (logging out ends the caller's session)
};

struct World;
using Body = std::function<std::string(World&)>;

struct Row {
  std::string method;
  std::string route;  // as the contract spells it, e.g. /orders/{id}
  std::string query;  // appended to the target, e.g. ?userId=...; may name {owner}
  Object object;
  Fresh fresh;
  Body body;
  int anonymous, owner, other, admin;  // the status each caller gets: the contract

  int expected(Caller caller) const {
    switch (caller) {
      case Caller::anonymous:
        return anonymous;
      case Caller::owner:
        return owner;
      case Caller::other:
        return other;
      case Caller::admin:
        return admin;
    }
    return 0;
  }
  std::string name() const { return method + " " + route + query; }
};

// The system under test and its fixtures, made once for the suite: it takes a few seconds.
struct World {
  OrdoProcess ordo{[] {
    auto settings = unlimited_rate();
    settings.emplace_back("auth.register_max_per_address", "100000");
    // The matrix's webhook points at a closed loopback port: its deliveries fail, harmlessly.
    settings.emplace_back("notifications.webhook_allow_private", "true");
    settings.emplace_back("notifications.push_enabled", "true");  // for its public key's route
    return settings;
  }()};
  Runner runner;
  // A user and what they own.
  struct Account {
    std::unique_ptr<Session> session;
    std::string id, email;
    std::string order_id;
    std::string notification_id;  // their welcome
  };
  std::unique_ptr<Session> anonymous;
  Account ann, bob;
  std::unique_ptr<Session> admin;
  std::string admin_email;
  std::string product_id;  // active, with plenty of stock
  std::string webhook_id;  // subscribed to user.registered, so ann's and bob's make deliveries
  std::string delivery_id;
  int counter = 0;  // for unique SKUs
  // Which of the two users owns the objects the matrix calls on: it runs once for each, so a
  // rule that only holds for the first account made (or the first id) cannot pass.
  bool bob_owns = false;

  static constexpr const char* kPassword = "correct horse battery";
  static constexpr const char* kAdminPassword = "admin password 123";  // harness.cpp

  void start() {
    ordo.start();
    if (::testing::Test::HasFatalFailure())
      return;
    anonymous = std::make_unique<Session>(runner, ordo.gateway_origin());
    admin = admin_session(ordo, runner);
    admin_email = admin->run(admin->api().me()).email;
    product_id = new_product(1'000'000);
    webhook_id = new_webhook();
    if (!eventually([&] { return available(*anonymous, product_id) > 0; }))
      throw std::runtime_error("the product's stock never showed up");
    for (auto [account, tag] : {std::pair{&ann, "ann"}, std::pair{&bob, "bob"}}) {
      account->session = user_session(ordo, runner, tag);
      auto me = account->session->run(account->session->api().me());
      account->id = me.id;
      account->email = me.email;
      account->order_id = place_order(*account->session);
    }
    for (auto* account : {&ann, &bob}) {
      if (!eventually([&] { return welcome_of(*account); }))
        throw std::runtime_error(account->email + ": the welcome notification never showed up");
    }
    if (!eventually([&] { return first_delivery(); }))
      throw std::runtime_error("the webhook's delivery never showed up");
  }

  std::string new_webhook() {
    return admin->run(admin->api().create_webhook(
                          {.url = "http://127.0.0.1:9/matrix", .events = {"user.registered"}}))
        .id;
  }

  // A browser's subscription body with fresh keys and endpoint (nothing is ever pushed to it).
  std::string push_subscription_body() {
    ordo::testing::WebPushClient browser;
    json::object keys{{"p256dh", browser.p256dh()}, {"auth", browser.auth()}};
    return json::serialize(json::object{
        {"endpoint", "https://push.invalid/matrix/" + std::to_string(++counter)}, {"keys", keys}});
  }

  std::string new_push_subscription(Session& session) {
    auto response =
        session.request("POST", "/users/me/push-subscriptions", push_subscription_body());
    if (response.status != 201)
      throw std::runtime_error("push subscription: " + response.body);
    return std::string(Session::json(response).at("id").as_string());
  }

  bool first_delivery() {
    auto page = Session::json(admin->request("GET", "/webhooks/" + webhook_id + "/deliveries"));
    if (!page.is_object() || page.at("items").as_array().empty())
      return false;
    delivery_id = std::string(page.at("items").as_array()[0].at("id").as_string());
    return true;
  }

  bool welcome_of(Account& account) {
    auto page = Session::json(account.session->request("GET", "/notifications?limit=100"));
    if (!page.is_object() || page.at("items").as_array().empty())
      return false;
    account.notification_id = std::string(page.at("items").as_array()[0].at("id").as_string());
    return true;
  }

  Account& owner() { return bob_owns ? bob : ann; }
  Account& other() { return bob_owns ? ann : bob; }

  std::string new_product(std::int64_t stock) {
    return create_product(*admin, {.name = "Matrix mug", .stock = stock});
  }

  std::string order_body() const {
    return json::serialize(json::object{
        {"items", json::array{json::object{{"productId", product_id}, {"quantity", 1}}}}});
  }

  std::string place_order(Session& session) {
    return e2e::place_order(session, {{product_id, 1}}).order.id;
  }

  // A new logged-in session of the caller's account (anonymous: a session without a token).
  std::unique_ptr<Session> login(Caller caller) {
    auto session = std::make_unique<Session>(runner, ordo.gateway_origin());
    if (caller == Caller::anonymous)
      return session;
    const auto& email = caller == Caller::owner   ? owner().email
                        : caller == Caller::other ? other().email
                                                  : admin_email;
    session->run(session->api().login(email, caller == Caller::admin ? kAdminPassword : kPassword));
    return session;
  }

  Session& session(Caller caller) {
    switch (caller) {
      case Caller::anonymous:
        return *anonymous;
      case Caller::owner:
        return *owner().session;
      case Caller::other:
        return *other().session;
      case Caller::admin:
        return *admin;
    }
    return *anonymous;
  }

  std::string object_id(Object object, Fresh fresh) {
    bool make = fresh == Fresh::object;
    switch (object) {
      case Object::none:
        return {};
      case Object::user:
        return owner().id;
      case Object::product:
        return make ? new_product(0) : product_id;
      case Object::order:
        return make ? place_order(*owner().session) : owner().order_id;
      case Object::notification:
        return owner().notification_id;
      case Object::webhook:
        return make ? new_webhook() : webhook_id;
      case Object::push_subscription:
        return new_push_subscription(*owner().session);
    }
    return {};
  }
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

Body fixed(std::string body) {
  return [body = std::move(body)](World&) { return body; };
}

// The contract: every route, and what each caller gets. Someone else's object is 404, not 403:
// its existence is not disclosed (users, orders and notifications alike). Admin-only routes are
// 403 for users. Public routes answer anyone, a token or not.
std::vector<Row> routes() {
  auto none = fixed({});
  auto register_body = [](World&) {
    return json::serialize(json::object{
        {"email", unique_email("matrix")}, {"password", World::kPassword}, {"name", "M"}});
  };
  auto login_body = [](World& world) {
    return json::serialize(
        json::object{{"email", world.owner().email}, {"password", World::kPassword}});
  };
  // A refresh token is single-use (a reuse revokes its session): one from a fresh login per call.
  auto refresh_body = [](World& world) {
    Session session(world.runner, world.ordo.gateway_origin());
    auto tokens = session.run(session.api().login(world.owner().email, World::kPassword));
    return json::serialize(json::object{{"refresh_token", tokens.refresh_token}});
  };
  auto product_body = [](World& world) {
    return json::serialize(json::object{{"sku", "MATRIX-" + std::to_string(++world.counter)},
                                        {"name", "Matrix plate"},
                                        {"priceCents", 300},
                                        {"currency", "EUR"}});
  };
  auto order_body = [](World& world) { return world.order_body(); };
  auto push_body = [](World& world) { return world.push_subscription_body(); };
  using O = Object;
  using F = Fresh;
  // clang-format off
  return {
    // method    route                               query               object        fresh       body                                               anon owner other admin
    {"POST",   "/users/register",                  "",                 O::none,      F::no,      register_body,                                     201, 201, 201, 201},
    {"POST",   "/users/login",                     "",                 O::none,      F::no,      login_body,                                        200, 200, 200, 200},
    {"POST",   "/users/refresh",                   "",                 O::none,      F::no,      refresh_body,                                      200, 200, 200, 200},
    {"POST",   "/users/logout",                    "",                 O::none,      F::session, fixed(R"({"refresh_token":"not one of ours"})"),   401, 204, 204, 204},
    {"GET",    "/users/me",                        "",                 O::none,      F::no,      none,                                              401, 200, 200, 200},
    // The /users/me routes act on the caller's own account: no one reaches another's.
    {"PATCH",  "/users/me",                        "",                 O::none,      F::no,      fixed(R"({"phone":"+12025550123"})"),              401, 200, 200, 200},
    {"GET",    "/users/me/notification-preferences", "",               O::none,      F::no,      none,                                              401, 200, 200, 200},
    {"PUT",    "/users/me/notification-preferences", "",               O::none,      F::no,      fixed(R"({"orderConfirmed":{"sms":true}})"),       401, 200, 200, 200},
    {"GET",    "/users/me/push-subscriptions",     "",                 O::none,      F::no,      none,                                              401, 200, 200, 200},
    {"POST",   "/users/me/push-subscriptions",     "",                 O::none,      F::no,      push_body,                                         401, 201, 201, 201},
    // Only the caller's own: another's subscription id is not found, even for an admin.
    {"DELETE", "/users/me/push-subscriptions/{id}", "",                O::push_subscription, F::object, none,                                       401, 204, 404, 404},
    {"GET",    "/users",                           "",                 O::none,      F::no,      none,                                              401, 403, 403, 200},
    {"GET",    "/users/{id}",                      "",                 O::user,      F::no,      none,                                              401, 200, 404, 200},
    // A no-op for the owner's account (the role stays), so their tokens stay valid.
    {"PATCH",  "/users/{id}",                      "",                 O::user,      F::no,      fixed(R"({"role":"user"})"),                       401, 403, 403, 200},
    {"GET",    "/.well-known/jwks.json",           "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
    {"GET",    "/products",                        "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
    {"POST",   "/products",                        "",                 O::none,      F::no,      product_body,                                      401, 403, 403, 201},
    {"GET",    "/products/{id}",                   "",                 O::product,   F::no,      none,                                              200, 200, 200, 200},
    {"PATCH",  "/products/{id}",                   "",                 O::product,   F::no,      fixed(R"({"name":"Matrix mug"})"),                 401, 403, 403, 200},
    {"DELETE", "/products/{id}",                   "",                 O::product,   F::object,  none,                                              401, 403, 403, 204},
    {"GET",    "/products/{id}/stock",             "",                 O::product,   F::no,      none,                                              200, 200, 200, 200},
    {"PUT",    "/products/{id}/stock",             "",                 O::product,   F::no,      fixed(R"({"available":1000000})"),                 401, 403, 403, 200},
    {"PATCH",  "/products/{id}/replenish",         "",                 O::product,   F::no,      fixed(R"({"quantity":1})"),                        401, 403, 403, 200},
    {"GET",    "/products/{id}/stock/movements",   "",                 O::product,   F::no,      none,                                              401, 403, 403, 200},
    {"GET",    "/inventory/low-stock",             "",                 O::none,      F::no,      none,                                              401, 403, 403, 200},
    {"POST",   "/orders",                          "",                 O::none,      F::no,      order_body,                                        401, 202, 202, 202},
    {"GET",    "/orders",                          "",                 O::none,      F::no,      none,                                              401, 200, 200, 200},
    // A user's userId filter is ignored (they see their own orders); ListsShowOnlyTheCallersOwn.
    {"GET",    "/orders",                          "?userId={owner}",  O::none,      F::no,      none,                                              401, 200, 200, 200},
    {"GET",    "/orders/{id}",                     "",                 O::order,     F::no,      none,                                              401, 200, 404, 200},
    {"POST",   "/orders/{id}/cancel",              "",                 O::order,     F::object,  none,                                              401, 200, 404, 200},
    // Event streams (docs/streams.md): only the status of the answer is checked (a stream that
    // is allowed does not end).
    {"GET",    "/orders/{id}/events",              "",                 O::order,     F::no,      none,                                              401, 200, 404, 200},
    {"GET",    "/notifications",                   "",                 O::none,      F::no,      none,                                              401, 200, 200, 200},
    // Asking for someone else's notifications is refused outright.
    {"GET",    "/notifications",                   "?userId={owner}",  O::none,      F::no,      none,                                              401, 200, 403, 200},
    {"GET",    "/notifications/{id}",              "",                 O::notification, F::no,   none,                                              401, 200, 404, 200},
    // A browser needs it to subscribe, before anyone signs in.
    {"GET",    "/notifications/vapid-public-key",  "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
    {"GET",    "/notifications/stream",            "",                 O::none,      F::no,      none,                                              401, 200, 200, 200},
    // Webhooks are an admin's tool: users are refused whatever the object.
    {"GET",    "/webhooks",                        "",                 O::none,      F::no,      none,                                              401, 403, 403, 200},
    {"POST",   "/webhooks",                        "",                 O::none,      F::no,      fixed(R"({"url":"http://127.0.0.1:9/m","events":["stock.low"]})"), 401, 403, 403, 201},
    {"GET",    "/webhooks/{id}",                   "",                 O::webhook,   F::no,      none,                                              401, 403, 403, 200},
    {"PATCH",  "/webhooks/{id}",                   "",                 O::webhook,   F::no,      fixed(R"({"description":"matrix"})"),              401, 403, 403, 200},
    {"DELETE", "/webhooks/{id}",                   "",                 O::webhook,   F::object,  none,                                              401, 403, 403, 204},
    {"GET",    "/webhooks/{id}/deliveries",        "",                 O::webhook,   F::no,      none,                                              401, 403, 403, 200},
    {"POST",   "/webhooks/{id}/deliveries/{deliveryId}/retry", "",     O::webhook,   F::no,      none,                                              401, 403, 403, 202},
    {"GET",    "/health",                          "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
    {"GET",    "/ready",                           "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
    // Off on the gateway by default (exposure_test GatewayKeepsMetricsAndReadinessDetailsToItself).
    {"GET",    "/metrics",                         "",                 O::none,      F::no,      none,                                              404, 404, 404, 404},
    {"GET",    "/openapi.json",                    "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
    {"GET",    "/docs",                            "",                 O::none,      F::no,      none,                                              200, 200, 200, 200},
  };
  // clang-format on
}

// An event stream's route: the harness's client reads whole bodies, which an allowed stream
// never ends, so these are opened with a streaming reader and closed after the head.
bool is_stream(const Row& row) {
  return row.route.ends_with("/events") || row.route == "/notifications/stream";
}

http::Response stream_head(World& world, Session& session, const std::string& target) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!session.api().access_token().empty())
    headers.emplace_back("Authorization", "Bearer " + session.api().access_token());
  EventStreamReader reader(world.ordo.gateway_origin(), target, headers);
  http::Response response;
  response.status = reader.status();
  response.headers.set("Content-Type", reader.header("Content-Type"));
  if (reader.status() != 200)
    response.body = reader.body();
  return response;
}

class AuthorizationMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto world = std::make_unique<World>();
    world->start();  // throws, or fails the test, when a fixture cannot be made
    if (!HasFatalFailure())
      world_ = world.release();
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(world_, nullptr) << "the fixtures could not be made"; }

  // The contract as the gateway serves it.
  static json::object contract() {
    auto response = world_->anonymous->request("GET", "/openapi.json");
    EXPECT_EQ(response.status, 200);
    return Session::json(response).as_object();
  }

  static std::string upper(std::string text) {
    for (auto& c : text)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  }

  // Every operation of the contract, as "METHOD /route".
  static std::map<std::string, json::object> operations() {
    std::map<std::string, json::object> found;
    auto document = contract();  // named: the loop refers into it
    for (const auto& [route, item] : document.at("paths").as_object()) {
      for (const auto& [method, operation] : item.as_object()) {
        static const std::set<std::string> kMethods{"get", "put", "post", "delete", "patch"};
        if (kMethods.contains(std::string(method)))
          found[upper(std::string(method)) + " " + std::string(route)] = operation.as_object();
      }
    }
    return found;
  }

  static World* world_;
};
World* AuthorizationMatrix::world_ = nullptr;

// API9 and the matrix's completeness: a route in the contract without a row here (or a row for a
// route the contract lost) fails, so the next route added gets its authorization rules checked.
TEST_F(AuthorizationMatrix, EveryDocumentedRouteHasARow) {
  auto documented = operations();
  std::set<std::string> rows;
  for (const auto& row : routes())
    rows.insert(row.method + " " + row.route);
  for (const auto& [operation, _] : documented)
    EXPECT_TRUE(rows.contains(operation)) << operation << " is in docs/openapi.json: add a row";
  for (const auto& row : rows)
    EXPECT_TRUE(documented.contains(row)) << row << " has a row but is not in docs/openapi.json";

  // The table agrees with the contract: a route that says it needs a token refuses anonymous
  // callers, one that does not answers them; every status a caller gets is a documented one.
  for (const auto& row : routes()) {
    auto found = documented.find(row.method + " " + row.route);
    if (found == documented.end())
      continue;
    const auto& operation = found->second;
    const auto* security = operation.if_contains("security");
    bool needs_token = security != nullptr && !security->as_array().empty();
    if (needs_token)
      EXPECT_EQ(row.anonymous, 401) << row.name() << " needs a token in the contract";
    else
      EXPECT_NE(row.anonymous, 401) << row.name() << " needs no token in the contract";
    const auto& responses = operation.at("responses").as_object();
    for (auto caller : kCallers) {
      EXPECT_TRUE(responses.contains(std::to_string(row.expected(caller))))
          << row.name() << " as " << caller_name(caller) << ": " << row.expected(caller)
          << " is not a documented answer";
    }
  }
}

// API1 (object level) and API5 (function level): every route, as every kind of caller.
TEST_F(AuthorizationMatrix, EachCallerGetsWhatTheTableSays) {
  auto& world = *world_;
  for (bool bob_owns : {false, true}) {
    world.bob_owns = bob_owns;
    SCOPED_TRACE(std::string("objects owned by ") + (bob_owns ? "bob" : "ann"));
    for (const auto& row : routes()) {
      for (auto caller : kCallers) {
        std::unique_ptr<Session> own_session;
        if (row.fresh == Fresh::session)
          own_session = world.login(caller);
        Session& session = own_session ? *own_session : world.session(caller);
        auto id = world.object_id(row.object, row.fresh);
        auto target =
            replace_all(replace_all(row.route, "{id}", id), "{deliveryId}", world.delivery_id) +
            replace_all(row.query, "{owner}", world.owner().id);
        // Writes that overwrite (a product's PATCH and DELETE, a stock level) need If-Match;
        // "*" is harmless on every other route.
        std::vector<std::pair<std::string, std::string>> conditional;
        if (row.method == "PUT" || row.method == "PATCH" || row.method == "DELETE")
          conditional.emplace_back("If-Match", "*");
        auto response = is_stream(row)
                            ? stream_head(world, session, target)
                            : session.request(row.method, target, row.body(world), conditional);
        auto want = row.expected(caller);
        EXPECT_EQ(response.status, want)
            << row.name() << " as " << caller_name(caller) << ": " << response.body;
        if (want >= 400 && response.status == want) {
          EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json")
              << row.name() << " as " << caller_name(caller);
        }
      }
    }
  }
  world.bob_owns = false;
}

// API1 on lists: a user's list holds only their own objects, whatever the query says; an admin's
// holds everyone's.
TEST_F(AuthorizationMatrix, ListsShowOnlyTheCallersOwn) {
  auto& world = *world_;
  auto owners = [&](Session& session, const std::string& path, const char* field) {
    std::set<std::string> seen;
    for (const auto& item : all_items(session, path))
      seen.insert(std::string(item.at(field).as_string()));
    return seen;
  };
  world.place_order(*world.bob.session);
  using Owners = std::set<std::string>;
  EXPECT_EQ(owners(*world.bob.session, "/orders", "userId"), Owners{world.bob.id});
  EXPECT_EQ(owners(*world.bob.session, "/orders?userId=" + world.ann.id, "userId"),
            Owners{world.bob.id});
  EXPECT_EQ(owners(*world.ann.session, "/orders", "userId"), Owners{world.ann.id});
  EXPECT_TRUE(owners(*world.admin, "/orders", "userId").contains(world.bob.id));
  EXPECT_EQ(owners(*world.admin, "/orders?userId=" + world.ann.id, "userId"), Owners{world.ann.id});
  // Notifications arrive on their own time: whatever is there must be the caller's.
  for (const auto& owner : owners(*world.bob.session, "/notifications", "recipientId"))
    EXPECT_EQ(owner, world.bob.id);
  EXPECT_EQ(owners(*world.ann.session, "/notifications?userId=" + world.ann.id, "recipientId"),
            Owners{world.ann.id});
}

// API3: fields a caller must not choose are ignored in bodies: an order's owner, status, prices
// and id; a product's id, version and state; a user's e-mail and id. (The role at sign-up:
// users_journey_test RegisterNeverGrantsRoleOrLeaksHash.)
TEST_F(AuthorizationMatrix, BodiesCannotSetOwnersStatesOrPrices) {
  auto& world = *world_;
  const std::string forged = "0190a000-0000-7000-8000-0000000000ff";
  json::object order_body{{"items", json::array{json::object{{"productId", world.product_id},
                                                             {"quantity", 2},
                                                             {"unitPriceCents", 1},
                                                             {"lineTotalCents", 1}}}},
                          {"id", forged},
                          {"userId", world.bob.id},
                          {"status", "confirmed"},
                          {"totalCents", 1},
                          {"currency", "USD"},
                          {"createdAt", "2000-01-01T00:00:00Z"}};
  auto placed = world.ann.session->request("POST", "/orders", json::serialize(order_body));
  ASSERT_EQ(placed.status, 202) << placed.body;
  auto order = Session::json(placed).as_object();
  EXPECT_NE(order.at("id").as_string(), forged);
  EXPECT_EQ(order.at("userId").as_string(), world.ann.id);
  EXPECT_EQ(order.at("status").as_string(), "pending");
  EXPECT_EQ(order.at("totalCents").as_int64(), 2 * 1250);
  EXPECT_EQ(order.at("currency").as_string(), "EUR");
  EXPECT_NE(order.at("createdAt").as_string(), "2000-01-01T00:00:00Z");
  auto id = std::string(order.at("id").as_string());
  EXPECT_EQ(world.bob.session->request("GET", "/orders/" + id).status, 404) << "still ann's";

  auto product_id = world.new_product(0);
  json::object product_patch{{"name", "Renamed"},
                             {"id", forged},
                             {"version", 99},
                             {"active", false},
                             {"createdAt", "2000-01-01T00:00:00Z"}};
  auto patched = world.admin->request("PATCH", "/products/" + product_id,
                                      json::serialize(product_patch), {{"If-Match", "*"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto product = Session::json(patched).as_object();
  EXPECT_EQ(product.at("id").as_string(), product_id);
  EXPECT_EQ(product.at("version").as_int64(), 2);
  EXPECT_EQ(product.at("status").as_string(), "active");
  EXPECT_NE(product.at("createdAt").as_string(), "2000-01-01T00:00:00Z");
  EXPECT_EQ(product.at("name").as_string(), "Renamed");

  json::object user_patch{{"role", "user"},
                          {"email", "taken-over@example.com"},
                          {"id", forged},
                          {"passwordHash", "x"},
                          {"tokenVersion", 0}};
  auto user = world.admin->request("PATCH", "/users/" + world.bob.id, json::serialize(user_patch));
  ASSERT_EQ(user.status, 200) << user.body;
  EXPECT_EQ(Session::json(user).at("email").as_string(), world.bob.email);
  EXPECT_EQ(Session::json(user).at("id").as_string(), world.bob.id);
  // And bob's token still works: nothing that matters changed.
  EXPECT_EQ(world.bob.session->request("GET", "/users/me").status, 200);
}

// API4: every route that pages (any route the contract gives a limit) refuses pages larger than
// 100 and nonsense limits, and answers a full page of at most 100.
TEST_F(AuthorizationMatrix, EveryPagedRouteCapsThePageSize) {
  auto& world = *world_;
  int paged = 0;
  for (const auto& [operation, details] : operations()) {
    bool has_limit = false;
    if (const auto* parameters = details.if_contains("parameters")) {
      for (const auto& parameter : parameters->as_array()) {
        const auto* name = parameter.as_object().if_contains("name");
        has_limit = has_limit || (name != nullptr && *name == "limit");
      }
    }
    if (!has_limit)
      continue;
    ++paged;
    auto space = operation.find(' ');
    auto method = operation.substr(0, space);
    // {id} is a product's in every paged route but a webhook's deliveries.
    bool webhook = operation.find("/webhooks/") != std::string::npos;
    auto path = replace_all(operation.substr(space + 1), "{id}",
                            webhook ? world.webhook_id : world.product_id);
    for (const char* limit : {"101", "1000000", "0", "-1", "ten", "1e3"}) {
      auto response = world.admin->request(method, path + "?limit=" + limit);
      expect_problem(response, 400, operation + " limit=" + limit);
    }
    auto full = world.admin->request(method, path + "?limit=100");
    ASSERT_EQ(full.status, 200) << operation << ": " << full.body;
    EXPECT_LE(Session::json(full).at("items").as_array().size(), 100u) << operation;
  }
  EXPECT_GE(paged, 6) << "users, products, movements, low-stock, orders, notifications";
}

// API8: errors are problem+json that say what was wrong and nothing of how Ordo is built: no
// stack traces, exception names, source files, SQL or paths on the server.
TEST_F(AuthorizationMatrix, ErrorsShowNoInternals) {
  auto& world = *world_;
  Session broken(world.runner, world.ordo.gateway_origin());
  broken.api().set_access_token(world.bob.session->api().access_token() + "x");
  struct Probe {
    Session* session;
    std::string method, target, body;
  };
  Session* bob = world.bob.session.get();
  Session* admin = world.admin.get();
  const std::string unknown = "0190a000-0000-7000-8000-0000000000ff";
  const std::string product = "/products/" + world.product_id;
  const std::vector<Probe> probes{
      {bob, "POST", "/orders", "{not json"},
      {bob, "POST", "/orders", R"({"items":[{"productId":"x","quantity":1e400}]})"},
      {bob, "POST", "/orders", R"({"items":"'; DROP TABLE orders; --"})"},
      {bob, "POST", "/orders", "{\"items\":[{\"productId\":\"\xff\xfe\",\"quantity\":1}]}"},
      {bob, "POST", "/orders", R"({"items":[{"productId":")" + unknown + R"(","quantity":1}]})"},
      {bob, "GET", "/orders/'%20OR%201=1%20--", ""},
      {bob, "GET", "/orders/%00", ""},
      {bob, "POST", "/orders/" + world.ann.order_id + "/cancel", "[]"},
      {bob, "GET", "/products?sort=../../etc/passwd", ""},
      {bob, "GET", "/products?cursor=" + std::string(500, 'A'), ""},
      {bob, "GET", "/products?minPriceCents=99999999999999999999999", ""},
      {admin, "PATCH", product, R"({"name":null,"priceCents":-1})"},
      {admin, "PATCH", product + "/replenish", R"({"quantity":[]})"},
      {admin, "PUT", product + "/stock", R"({"available":1e400})"},
      {admin, "POST", "/products", R"({"sku":{"$gt":""},"priceCents":"0x10"})"},
      {admin, "GET", "/products/" + unknown + "/stock/movements", ""},
      {admin, "PATCH", "/users/" + unknown, R"({"role":"root"})"},
      {bob, "POST", "/users/login", R"({"email":{"$ne":null},"password":{"$ne":null}})"},
      {bob, "POST", "/users/refresh", R"({"refresh_token":"..\\..\\"})"},
      {&broken, "GET", "/users/me", ""},
      {bob, "DELETE", "/users/me", ""},
      {bob, "GET", "/nowhere/../../etc/passwd", ""},
  };
  const std::vector<std::string> telltales{".cpp",      ".hpp",      "/src/",
                                           "/home/",    "/tmp/",     "/work",
                                           "what()",    "std::",     "boost::",
                                           "ordo::",    "Traceback", "stack trace",
                                           "exception", "terminate", "SQLITE",
                                           "sqlite",    "SELECT ",   "INSERT ",
                                           "near \"",   "postgres",  world.ordo.data_dir()};
  for (const auto& probe : probes) {
    auto response = probe.session->request(probe.method, probe.target, probe.body);
    auto what = probe.method + " " + probe.target.substr(0, 60) + " " + probe.body.substr(0, 60);
    EXPECT_GE(response.status, 400) << what;
    EXPECT_LT(response.status, 500) << what << ": " << response.body;
    EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json") << what;
    for (const auto& telltale : telltales) {
      EXPECT_EQ(response.body.find(telltale), std::string::npos)
          << what << " shows \"" << telltale << "\": " << response.body;
    }
    EXPECT_FALSE(response.headers.has("X-Powered-By")) << what;
  }
}

// API9: nothing answers outside the contract: no debug, admin or framework endpoints, no files,
// no older API versions; TRACE reflects nothing.
TEST_F(AuthorizationMatrix, UndocumentedAndDebugRoutesAre404) {
  auto& world = *world_;
  // "/admin" itself is the web admin console's page (docs/web.md): static, its data comes from
  // the API, which checks the role. Nothing below it is a route.
  for (const char* path :
       {"/debug",           "/debug/pprof",   "/debug/vars",  "/admin/users",    "/internal",
        "/status",          "/env",           "/.env",        "/config",         "/actuator",
        "/actuator/health", "/server-status", "/.git/config", "/swagger.json",   "/swagger-ui",
        "/api/users",       "/v1/users",      "/v2/orders",   "/users/me/debug", "/products/export",
        "/inventory",       "/access",        "/events",      "/outbox",         "/openapi.yaml",
        "/favicon.ico",     "/admin/config",  "/assets",      "/index.html"}) {
    for (auto* session : {world.anonymous.get(), world.admin.get()}) {
      auto response = session->request("GET", path);
      expect_problem(response, 404, path);
    }
  }
  auto trace = world.admin->request("TRACE", "/users/me");
  EXPECT_EQ(trace.status, 405) << trace.body;
  EXPECT_EQ(trace.body.find("Bearer"), std::string::npos) << "TRACE echoed the request";
}

}  // namespace
}  // namespace ordo::e2e
