// Reading the notifications service's requests: the filters of GET /notifications and the bodies
// of POST and PATCH /webhooks, every bad field at once.
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "platform/http/problem.hpp"
#include "problem_test_support.hpp"
#include "services/notifications/requests.hpp"

namespace ordo::services::notifications {
namespace {
namespace json = boost::json;

using testing::problem_fields;

json::object object(const char* text) {
  return json::parse(text).as_object();
}

TEST(WebhookBodies, DecodesARegistration) {
  auto registration = parse_webhook_registration(object(
      R"({"url": "http://example.com/h", "events": ["order.created", "stock.low",
          "order.created"], "description": "ERP"})"));
  EXPECT_EQ(registration.url, "http://example.com/h");
  EXPECT_EQ(registration.events, (std::vector<std::string>{"order.created", "stock.low"}));
  EXPECT_EQ(registration.description, "ERP");
  auto all = parse_webhook_registration(object(R"({"url": "http://e.com", "events": ["*"]})"));
  EXPECT_EQ(all.events, std::vector<std::string>{"*"});
  EXPECT_EQ(all.description, "");
}

TEST(WebhookBodies, NamesEveryBadField) {
  EXPECT_EQ(problem_fields([] {
              parse_webhook_registration(
                  object(R"({"url": "https://e.com", "events": ["order.shipped"], "x": 1})"));
            }),
            (std::vector<std::string>{"x", "url", "events[0]"}));
  EXPECT_EQ(problem_fields([] { parse_webhook_registration(object(R"({"events": []})")); }),
            (std::vector<std::string>{"url", "events"}));
  EXPECT_EQ(problem_fields([] {
              parse_webhook_registration(
                  object(R"({"url": "http://e.com", "events": ["*"], "description": 5})"));
            }),
            std::vector<std::string>{"description"});
}

TEST(WebhookBodies, DecodesAPatch) {
  auto patch = parse_webhook_patch(object(R"({"status": "active", "events": ["stock.low"]})"));
  EXPECT_EQ(patch.status, "active");
  EXPECT_EQ(patch.events, std::vector<std::string>{"stock.low"});
  EXPECT_FALSE(patch.url);
  EXPECT_FALSE(patch.description);
  EXPECT_EQ(problem_fields([] { parse_webhook_patch(object(R"({"status": "paused"})")); }),
            std::vector<std::string>{"status"});
  EXPECT_EQ(problem_fields([] { parse_webhook_patch(object(R"({"secret": "whsec_x"})")); }),
            std::vector<std::string>{"secret"});
}

TEST(NotificationsRequests, ListFilterTakesAUserAndAStatus) {
  http::Request request;
  request.query["userId"] = "0190a000-0000-7000-8000-00000000000a";
  request.query["status"] = "failed";
  auto filter = parse_list_filter(request);
  EXPECT_EQ(filter.recipient_id, "0190a000-0000-7000-8000-00000000000a");
  EXPECT_EQ(filter.status, "failed");
  auto none = parse_list_filter(http::Request{});
  EXPECT_FALSE(none.recipient_id);
  EXPECT_FALSE(none.status);
}

TEST(NotificationsRequests, ListFilterNamesEveryBadParameter) {
  http::Request request;
  request.query["userId"] = "me";
  request.query["status"] = "sent";
  EXPECT_EQ(problem_fields([&] { parse_list_filter(request); }),
            (std::vector<std::string>{"userId", "status"}));
}

}  // namespace
}  // namespace ordo::services::notifications
