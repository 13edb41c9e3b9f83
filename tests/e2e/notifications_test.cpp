// Notifications through the gateway: a registration is welcomed on the log channel, and each user
// sees only their own notifications while an admin sees them all.
#include <gtest/gtest.h>

#include <sstream>

#include "contracts/notifications.hpp"
#include "harness.hpp"

namespace ordo::e2e {
namespace {

using contracts::Notification;

class Notifications : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(ordo_.start()); }

  // Registers and logs in a fresh user; returns its session and its id.
  std::unique_ptr<Session> new_user(const std::string& tag, std::string& id) {
    auto session = std::make_unique<Session>(runner_, ordo_.gateway_origin());
    auto email = unique_email(tag);
    id = session->run(session->api().register_user(email, "correct horse battery", tag)).id;
    session->run(session->api().login(email, "correct horse battery"));
    return session;
  }

  std::unique_ptr<Session> admin() { return admin_session(ordo_, runner_); }

  static std::vector<Notification> items(Session& session, const std::string& target) {
    auto response = session.request("GET", target);
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    std::vector<Notification> out;
    if (response.status != 200)
      return out;
    auto body = Session::json(response);  // named: the loop below refers into it
    for (const auto& item : body.at("items").as_array())
      out.push_back(contracts::notification_from_json(item));
    return out;
  }

  // Polls until a delivered notification of event_type for recipient shows up, or fails.
  static std::optional<Notification> await_delivered(Session& session, const std::string& target,
                                                     const std::string& recipient,
                                                     const std::string& event_type) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& n : items(session, target)) {
        if (n.recipient_id == recipient && n.event_type == event_type && n.status == "delivered")
          return n;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no delivered " << event_type << " notification for " << recipient;
    return std::nullopt;
  }

  OrdoProcess ordo_;
  Runner runner_;
};

TEST_F(Notifications, WelcomeIsDeliveredOnTheLogChannelToItsUserOnly) {
  std::string ann_id;
  auto ann = new_user("ann", ann_id);
  auto welcome = await_delivered(*ann, "/notifications", ann_id, "user.registered");
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->channel, "log");
  EXPECT_EQ(welcome->attempts, 1);
  EXPECT_TRUE(welcome->delivered_at.has_value());
  EXPECT_FALSE(welcome->last_error.has_value());
  EXPECT_FALSE(welcome->subject.empty());
  EXPECT_EQ(ann->request("GET", "/notifications/" + welcome->id).status, 200);
  // The log line names the notification but never carries the body.
  auto log = ordo_.log_text();
  EXPECT_NE(log.find("notification delivered"), std::string::npos);
  EXPECT_NE(log.find(welcome->id), std::string::npos);
  EXPECT_EQ(log.find(welcome->body), std::string::npos);

  std::string bob_id;
  auto bob = new_user("bob", bob_id);
  for (const auto& n : items(*bob, "/notifications?limit=100"))
    EXPECT_EQ(n.recipient_id, bob_id);
  EXPECT_EQ(bob->request("GET", "/notifications/" + welcome->id).status, 404);
  EXPECT_EQ(bob->request("GET", "/notifications?userId=" + ann_id).status, 403);

  auto root = admin();
  auto seen = await_delivered(*root, "/notifications?limit=100", ann_id, "user.registered");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->id, welcome->id);
  auto filtered = items(*root, "/notifications?userId=" + ann_id + "&status=delivered");
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].id, welcome->id);
  EXPECT_EQ(root->request("GET", "/notifications/" + welcome->id).status, 200);
}

// Distributed modes run two notifications instances on one database: their dispatchers share the
// pending rows, and every notification is delivered (and logged) once across both.
TEST_F(Notifications, EachNotificationIsDeliveredOnceWhateverTheInstances) {
  constexpr int kUsers = 8;
  std::vector<std::pair<std::unique_ptr<Session>, std::string>> users;
  for (int i = 0; i < kUsers; ++i) {
    std::string id;
    auto session = new_user("once" + std::to_string(i), id);
    users.emplace_back(std::move(session), id);
  }
  std::vector<Notification> welcomes;
  for (auto& [session, id] : users) {
    auto welcome = await_delivered(*session, "/notifications", id, "user.registered");
    ASSERT_TRUE(welcome);
    EXPECT_EQ(welcome->attempts, 1);
    welcomes.push_back(*welcome);
  }
  auto log = ordo_.log_text();
  for (const auto& welcome : welcomes) {
    int lines = 0;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
      if (line.find("notification delivered") != std::string::npos &&
          line.find(welcome.id) != std::string::npos)
        ++lines;
    }
    EXPECT_EQ(lines, 1) << welcome.id;
  }
}

TEST_F(Notifications, PagesNewestFirstWithACursor) {
  std::string ann_id;
  auto ann = new_user("pages", ann_id);
  auto root = admin();
  // The admin's own welcome arrives after the relay's next poll (the CLI wrote it).
  auto me = root->run(root->api().me());
  ASSERT_TRUE(await_delivered(*root, "/notifications?limit=100", me.id, "user.registered"));
  auto first = root->request("GET", "/notifications?limit=1");
  ASSERT_EQ(first.status, 200);
  auto body = Session::json(first);
  ASSERT_EQ(body.at("items").as_array().size(), 1u);
  ASSERT_TRUE(body.at("nextCursor").is_string());
  auto newest = contracts::notification_from_json(body.at("items").at(0));
  auto cursor = std::string(body.at("nextCursor").as_string());
  auto next = items(*root, "/notifications?limit=100&cursor=" + cursor);
  ASSERT_FALSE(next.empty());
  EXPECT_LT(next.front().id, newest.id);
  for (const auto& n : next)
    EXPECT_NE(n.id, newest.id);
}

TEST_F(Notifications, AnonymousAndBadQueriesAreRefused) {
  Session anonymous(runner_, ordo_.gateway_origin());
  auto response = anonymous.request("GET", "/notifications");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.get_or("Content-Type", ""), "application/problem+json");
  EXPECT_EQ(anonymous.request("GET", "/notifications/" + std::string(36, '0')).status, 401);

  std::string id;
  auto user = new_user("bad", id);
  for (const char* target :
       {"/notifications?limit=0", "/notifications?limit=101", "/notifications?cursor=garbage",
        "/notifications?status=sent", "/notifications?userId=not-a-uuid"}) {
    auto bad = user->request("GET", target);
    EXPECT_EQ(bad.status, 400) << target;
    EXPECT_EQ(bad.headers.get_or("Content-Type", ""), "application/problem+json") << target;
  }
  EXPECT_EQ(user->request("GET", "/notifications/not-a-uuid").status, 404);
  EXPECT_EQ(user->request("GET", "/notifications/0190a0b0-0000-7000-8000-000000000001").status,
            404);
}

}  // namespace
}  // namespace ordo::e2e
