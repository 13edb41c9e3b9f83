// Conditional requests: If-Match compares strongly, If-None-Match weakly, both read tag lists.
#include <gtest/gtest.h>

#include "platform/http/conditional.hpp"

namespace ordo::http {
namespace {

TEST(Conditional, IfMatchNamesTheCurrentTagStrongly) {
  EXPECT_TRUE(if_match_satisfied("\"a\"", "\"a\""));
  EXPECT_TRUE(if_match_satisfied("*", "\"a\""));
  EXPECT_TRUE(if_match_satisfied("\t\"b\" ,  \"a\" ", "\"a\""));
  EXPECT_TRUE(if_match_satisfied(",,\"a\",", "\"a\""));
  EXPECT_FALSE(if_match_satisfied("W/\"a\"", "\"a\""));
  EXPECT_FALSE(if_match_satisfied("W/*", "\"a\""));
  EXPECT_FALSE(if_match_satisfied("a", "\"a\""));
  EXPECT_FALSE(if_match_satisfied("", "\"a\""));
  EXPECT_FALSE(if_match_satisfied("\"ab\"", "\"a\""));
}

TEST(Conditional, IfNoneMatchNamesTheCurrentTagWeakly) {
  EXPECT_TRUE(if_none_match_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("W/\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("*", "\"a\""));
  EXPECT_TRUE(if_none_match_matches("\"b\", W/\"a\"", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("\"b\"", "\"a\""));
  EXPECT_FALSE(if_none_match_matches("", "\"a\""));
}

}  // namespace
}  // namespace ordo::http
