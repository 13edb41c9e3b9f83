// Reading the users service's request bodies: registration, admin and profile patches, notification
// preferences; every bad field at once, normalized values.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "platform/http/problem.hpp"
#include "problem_test_support.hpp"
#include "services/users/requests.hpp"

namespace ordo::services::users {
namespace {

// The fields of the 400 problem that parse() raised for this body; a failure when it raised none.
template <typename Parse>
std::vector<errors::FieldError> refusal(Parse parse, std::string_view body) {
  return testing::problem_errors([&] { parse(boost::json::parse(body).as_object()); });
}

TEST(UsersBodies, RegistrationIsNormalizedAndValidatedTogether) {
  auto registration = parse_registration(
      boost::json::parse(R"({"email":" Ada@Example.COM ","password":"correct horse battery",)"
                         R"("name":"Ada","role":"admin"})")
          .as_object());
  EXPECT_EQ(registration.email, "ada@example.com");
  EXPECT_EQ(registration.name, "Ada");
  auto errors = refusal(parse_registration, R"({"email":"nope","password":"short"})");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "name");
  EXPECT_EQ(errors[1].field, "email");
  EXPECT_EQ(errors[2].field, "password");
}

TEST(UsersBodies, PatchNeedsRoleOrActive) {
  auto patch = parse_user_patch(boost::json::parse(R"({"active":false})").as_object());
  EXPECT_FALSE(patch.role);
  EXPECT_EQ(patch.active, false);
  EXPECT_EQ(refusal(parse_user_patch, "{}").at(0).message, "role or active is required");
  EXPECT_EQ(refusal(parse_user_patch, R"({"role":"root"})").at(0).field, "role");
}

// Found by fuzzing (tests/fuzz/api_bodies.cpp): a member that is null counted as given, so
// {"role": null} passed as a patch that changes nothing (and was logged as a change) while {}
// was refused.
TEST(UsersBodies, PatchOfOnlyNullsIsRefusedLikeAnEmptyOne) {
  for (std::string_view body :
       {R"({"role":null})", R"({"active":null})", R"({"role":null,"active":null})"}) {
    auto errors = refusal(parse_user_patch, body);
    ASSERT_EQ(errors.size(), 1u) << body;
    EXPECT_EQ(errors[0].message, "role or active is required") << body;
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

}  // namespace
}  // namespace ordo::services::users
