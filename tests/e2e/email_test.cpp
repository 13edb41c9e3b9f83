// The e-mail channel end to end: `ordo serve` with notifications.smtp_url pointing at a local SMTP
// server (tests/support/smtp_sink.py). A registration through the gateway brings the welcome
// e-mail; a confirmed order brings the buyer an e-mail whose subject names the order.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "../support/smtp_sink.hpp"
#include "harness.hpp"
#include "shop.hpp"

namespace ordo::e2e {
namespace {

namespace json = boost::json;

// A directory of the test's own, removed with it.
struct ScratchDir {
  std::string path = temp_dir("smtp");
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Settings email_settings(const std::string& smtp_url) {
  auto settings = unlimited_rate();
  settings.emplace_back("notifications.smtp_url", smtp_url);
  settings.emplace_back("notifications.email_from", "Ordo Shop <shop@ordo.example>");
  return settings;
}

class Email : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(ordo_.start()); }

  // Waits for a message to `to` whose subject contains `subject_part`; returns it parsed.
  std::optional<json::object> await_mail(const std::string& to, const std::string& subject_part) {
    std::optional<json::object> found;
    eventually([&] {
      for (const auto& file : sink_.messages()) {
        if (!parsed_.contains(file))
          parsed_[file] = testing::SmtpSink::parse(file);
        const auto& mail = parsed_[file];
        if (mail.at("to").as_string() == to &&
            std::string(mail.at("subject").as_string()).find(subject_part) != std::string::npos) {
          found = mail;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  ScratchDir scratch_;
  testing::SmtpSink sink_{scratch_.path};
  OrdoProcess ordo_{email_settings(sink_.url())};
  Runner runner_;
  std::map<std::string, json::object> parsed_;
};

TEST_F(Email, RegistrationAndConfirmedOrderAreMailedToTheBuyer) {
  auto email = unique_email("buyer");
  Session buyer(runner_, ordo_.gateway_origin());
  buyer.run(buyer.api().register_user(email, "correct horse battery", "Bea Buyer"));
  buyer.run(buyer.api().login(email, "correct horse battery"));

  auto welcome = await_mail(email, "Welcome to Ordo");
  ASSERT_TRUE(welcome) << "no welcome e-mail; " << ordo_.log_text();
  EXPECT_EQ(welcome->at("from"), "Ordo Shop <shop@ordo.example>");
  EXPECT_EQ(welcome->at("contentType"), "multipart/alternative");
  EXPECT_TRUE(welcome->at("dateValid").as_bool());
  EXPECT_TRUE(welcome->at("defects").as_array().empty());
  EXPECT_NE(std::string(welcome->at("text").as_string()).find("Bea Buyer"), std::string::npos);

  auto admin = admin_session(ordo_, runner_);
  auto product_id = create_product(*admin, {.name = "Mailed mug", .stock = 5});
  auto order_id = confirmed_order(buyer, {{product_id, 2}});

  auto confirmation = await_mail(email, order_id);
  ASSERT_TRUE(confirmation) << "no confirmation e-mail; " << ordo_.log_text();
  EXPECT_EQ(confirmation->at("subject").as_string(), "Order " + order_id + " confirmed");
  const auto& parts = confirmation->at("parts").as_array();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].at("type"), "text/html");
  EXPECT_NE(std::string(parts[1].at("content").as_string()).find(order_id), std::string::npos);

  // The e-mail notifications are listed beside the log channel's, delivered.
  auto listed = all_items(buyer, "/notifications");
  auto emailed = std::count_if(listed.begin(), listed.end(), [](const json::object& n) {
    return n.at("channel") == "email" && n.at("status") == "delivered";
  });
  EXPECT_EQ(emailed, 2);
}

}  // namespace
}  // namespace ordo::e2e
