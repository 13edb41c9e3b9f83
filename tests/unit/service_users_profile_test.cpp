// The user's own profile and notification preferences: E.164 phones and the preferences' JSON
// round trip in user events. (The PATCH /users/me and preferences bodies:
// service_users_requests_test.cpp.)
#include <string_view>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "contracts/events.hpp"
#include "services/users/domain.hpp"

namespace ordo::services::users {
namespace {

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
