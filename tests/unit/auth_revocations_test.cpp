#include <gtest/gtest.h>

#include "platform/auth/revocations.hpp"

namespace ordo::auth {
namespace {

Claims token(std::string user, std::string session, std::int64_t version) {
  Claims claims;
  claims.sub = std::move(user);
  claims.sid = std::move(session);
  claims.ver = version;
  return claims;
}

TEST(TokenRevocations, UnknownUsersAndSessionsStand) {
  TokenRevocations revocations;
  EXPECT_EQ(revocations.refusal(token("u1", "s1", 1), 1000), std::nullopt);
}

TEST(TokenRevocations, OlderVersionsAreRefused) {
  TokenRevocations revocations;
  revocations.user_changed("u1", {3, true});
  EXPECT_TRUE(revocations.refusal(token("u1", "s1", 2), 1000));
  EXPECT_EQ(revocations.refusal(token("u1", "s1", 3), 1000), std::nullopt);
  EXPECT_EQ(revocations.refusal(token("u2", "s1", 1), 1000), std::nullopt);
}

TEST(TokenRevocations, AnOlderChangeArrivingLateChangesNothing) {
  TokenRevocations revocations;
  revocations.user_changed("u1", {3, true});   // reactivated
  revocations.user_changed("u1", {2, false});  // the deactivation, delivered late
  EXPECT_EQ(revocations.refusal(token("u1", "s1", 3), 1000), std::nullopt);
  revocations.user_changed("u1", {4, false});
  EXPECT_TRUE(revocations.refusal(token("u1", "s1", 4), 1000));  // inactive, even when current
}

TEST(TokenRevocations, EndedSessionsAreRefusedUntilTheirTokensExpire) {
  TokenRevocations revocations;
  revocations.session_ended("s1", 2000);
  EXPECT_TRUE(revocations.refusal(token("u1", "s1", 1), 1999));
  EXPECT_EQ(revocations.refusal(token("u1", "s2", 1), 1999), std::nullopt);
  EXPECT_EQ(revocations.refusal(token("u1", "s1", 1), 2000), std::nullopt);
  revocations.session_ended("s1", 1500);  // an earlier end never shortens a later one
  EXPECT_TRUE(revocations.refusal(token("u1", "s1", 1), 1999));
  EXPECT_EQ(revocations.sessions(), 1u);
  revocations.forget_expired(1999);
  EXPECT_EQ(revocations.sessions(), 1u);
  revocations.forget_expired(2000);
  EXPECT_EQ(revocations.sessions(), 0u);
}

}  // namespace
}  // namespace ordo::auth
