// The user's own profile and notification preferences: E.164 phones, PATCH /users/me bodies and
// the preferences body (every bad field named), and the preferences' JSON round trip.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "contracts/events.hpp"
#include "platform/http/problem.hpp"
#include "services/users/domain.hpp"
#include "services/users/requests.hpp"

namespace ordo::services::users {
namespace {

template <typename Parse>
std::vector<errors::FieldError> refusal(Parse parse, std::string_view body) {
  try {
    parse(boost::json::parse(body).as_object());
  } catch (const errors::ProblemException& e) {
    EXPECT_EQ(e.problem().status, 400);
    return e.problem().errors;
  }
  ADD_FAILURE() << "accepted: " << body;
  return {};
}

TEST(UsersPhone, AcceptsEightToFifteenDigitsAfterAPlus) {
  EXPECT_TRUE(is_e164_phone("+4915112345678"));
  EXPECT_TRUE(is_e164_phone("+12025550123"));
  EXPECT_TRUE(is_e164_phone("+12345678"));         // 8 digits
  EXPECT_TRUE(is_e164_phone("+123456789012345"));  // 15 digits
}

TEST(UsersPhone, RefusesEverythingElse) {
  for (std::string_view text :
       {"", "+", "4915112345678", "+1234567", "+1234567890123456", "+49 151 1234567",
        "+49-151-1234567", "+0123456789", "++12345678", "+1234567a", "+１２３４５６７８９"}) {
    EXPECT_FALSE(is_e164_phone(text)) << text;
  }
}

TEST(UsersProfile, TakesNameAndPhone) {
  auto patch = parse_profile_patch(
      boost::json::parse(R"({"name":"Ann","phone":"+12025550123"})").as_object());
  EXPECT_EQ(patch.name, "Ann");
  ASSERT_TRUE(patch.phone.has_value());
  EXPECT_EQ(*patch.phone, "+12025550123");
}

TEST(UsersProfile, NullPhoneClearsIt) {
  auto patch = parse_profile_patch(boost::json::parse(R"({"phone":null})").as_object());
  EXPECT_FALSE(patch.name.has_value());
  ASSERT_TRUE(patch.phone.has_value());
  EXPECT_FALSE(patch.phone->has_value());
}

TEST(UsersProfile, NamesTheBadField) {
  EXPECT_EQ(refusal(parse_profile_patch, R"({"phone":"0151 123"})").at(0).field, "phone");
  EXPECT_EQ(refusal(parse_profile_patch, R"({"phone":12025550123})").at(0).field, "phone");
  EXPECT_EQ(refusal(parse_profile_patch, R"({"name":""})").at(0).field, "name");
  EXPECT_EQ(refusal(parse_profile_patch, R"({"role":"admin"})").at(0).field, "role");
  EXPECT_EQ(refusal(parse_profile_patch, R"({})").at(0).message, "name or phone is required");
}

TEST(UsersPreferences, KindsLeftOutTakeTheDefaults) {
  auto preferences = parse_notification_preferences(
      boost::json::parse(R"({"orderConfirmed":{"sms":true,"email":false}})").as_object());
  auto confirmed = preferences.of("orderConfirmed");
  EXPECT_FALSE(confirmed.email);
  EXPECT_TRUE(confirmed.sms);
  EXPECT_FALSE(confirmed.push);
  auto welcome = preferences.of("welcome");
  EXPECT_TRUE(welcome.email);
  EXPECT_FALSE(welcome.sms);
  EXPECT_FALSE(welcome.push);
}

TEST(UsersPreferences, NamesEveryBadField) {
  auto errors = refusal(parse_notification_preferences,
                        R"({"orderShipped":{"email":true},"orderConfirmed":{"fax":true,"sms":1},)"
                        R"("lowStock":true})");
  std::vector<std::string> fields;
  for (const auto& error : errors)
    fields.push_back(error.field);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "orderShipped"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "orderConfirmed.fax"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "orderConfirmed.sms"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "lowStock"), fields.end());
}

TEST(UsersPreferences, TravelInUserEventsAndOldEventsMeanTheDefaults) {
  contracts::events::UserRegistered user{"u-1", "ann@example.com", "Ann", "user", true, 3};
  user.phone = "+12025550123";
  user.preferences.by_kind["orderCancelled"] = {false, true, true};
  auto back = contracts::events::user_registered_from_json(contracts::events::to_json(user));
  EXPECT_EQ(back.phone, user.phone);
  EXPECT_EQ(back.preferences.of("orderCancelled"), user.preferences.of("orderCancelled"));
  EXPECT_EQ(back.preferences.of("welcome"), contracts::ChannelChoice{});

  auto old = contracts::events::user_registered_from_json(boost::json::parse(
      R"({"userId":"u-1","email":"a@b.c","name":"A","role":"user","active":true})"));
  EXPECT_FALSE(old.phone.has_value());
  EXPECT_EQ(old.preferences.of("orderConfirmed"), contracts::ChannelChoice{});
}

}  // namespace
}  // namespace ordo::services::users
