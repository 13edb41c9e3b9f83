#include <string>

#include <gtest/gtest.h>

#include "platform/auth/password.hpp"

namespace ordo::auth {
namespace {

// Argon2id's minimums keep the suite fast; production uses the OWASP defaults.
const PasswordCost kCheap{1, 8 * 1024};

TEST(Password, HashIsArgon2idAndVerifies) {
  const std::string hash = hash_password("correct horse", kCheap);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password(hash, "correct horse"));
}

TEST(Password, WrongPasswordIsFalseNotAnError) {
  const std::string hash = hash_password("correct horse", kCheap);
  EXPECT_FALSE(verify_password(hash, "correct horsE"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  EXPECT_NE(hash_password("same", kCheap), hash_password("same", kCheap));
}

TEST(Password, EmptyAndBinaryPasswordsWork) {
  const std::string binary("a\0b", 3);
  const std::string hash = hash_password(binary, kCheap);
  EXPECT_TRUE(verify_password(hash, binary));
  EXPECT_FALSE(verify_password(hash, "a"));
  EXPECT_TRUE(verify_password(hash_password("", kCheap), ""));
}

TEST(Password, MalformedHashesAreFalse) {
  const std::string hash = hash_password("pw", kCheap);
  EXPECT_FALSE(verify_password("", "pw"));
  EXPECT_FALSE(verify_password("not a hash", "pw"));
  EXPECT_FALSE(verify_password("$argon2id$", "pw"));
  EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 5), "pw"));
  EXPECT_FALSE(verify_password(hash + std::string(200, 'A'), "pw"));
  EXPECT_FALSE(verify_password(hash.substr(0, 10) + std::string(1, '\0') + hash.substr(10), "pw"));
}

TEST(Password, InvalidCostIsRejected) {
  EXPECT_THROW(hash_password("pw", PasswordCost{0, 8 * 1024}), std::invalid_argument);
  EXPECT_THROW(hash_password("pw", PasswordCost{1, 1024}), std::invalid_argument);
}

TEST(Password, DummyHashIsStableAndMatchesNothingObvious) {
  const std::string& first = dummy_hash(kCheap);
  const std::string& second = dummy_hash(kCheap);
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(first.rfind("$argon2id$", 0), 0u);
  EXPECT_FALSE(verify_password(first, ""));
  EXPECT_NE(dummy_hash(PasswordCost{2, 8 * 1024}), first);
}

}  // namespace
}  // namespace ordo::auth
