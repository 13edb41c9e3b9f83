// The users service's signing keys on both dialects: one first key however many instances make
// it (the old key file's when there is one), a rotation's new key signs while the old one stays
// published until its retirement, then leaves the JWKS and, at the next rotation, the table.
#include <gtest/gtest.h>

#include <fstream>

#include "platform/auth/keys.hpp"
#include "platform/core/encoding.hpp"
#include "platform/sql/migrations.hpp"
#include "postgres_test_support.hpp"
#include "services/users/service.hpp"
#include "services/users/settings.hpp"
#include "services/users/signing_keys.hpp"
#include "sql_test_support.hpp"

namespace ordo::services::users {
namespace {
namespace asio = boost::asio;
using ordo::testing::run_async;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::int64_t kRetireAfter = 1'000;

class SigningKeysTest : public ::testing::TestWithParam<sql::Dialect> {
 protected:
  void SetUp() override {
    db_ = ordo::testing::open_test_database(GetParam(), ctx_, dir_, "users");
    run_async(ctx_, sql::migrate(*db_, migrations()));
  }
  void TearDown() override {
    db_.reset();
    ctx_.restart();
    ctx_.poll();
  }

  std::vector<std::string> published(std::int64_t now) {
    std::vector<std::string> kids;
    for (const auto& [kid, key] : run_async(ctx_, published_keys(*db_, now)))
      kids.push_back(kid);
    return kids;
  }
  std::int64_t rows() {
    return run_async(ctx_, db_->query("SELECT count(*) FROM signing_keys")).one().integer(0);
  }
  // A directory for the old key file (dir_ holds the SQLite file of the test).
  std::string legacy_dir() { return dir_.file("legacy"); }

  ordo::testing::TempDir dir_;
  asio::io_context ctx_;
  std::unique_ptr<sql::Database> db_;
};

TEST_P(SigningKeysTest, TheFirstKeyIsMadeOnce) {
  run_async(ctx_, ensure_signing_key(*db_, legacy_dir(), kNow));
  run_async(ctx_, ensure_signing_key(*db_, legacy_dir(), kNow));
  EXPECT_EQ(rows(), 1);
  auto keys = run_async(ctx_, load_signing_keys(*db_, kNow));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].generation, 1);
  EXPECT_FALSE(keys[0].retire_at);
  EXPECT_EQ(published(kNow), std::vector<std::string>{keys[0].key.kid});
}

TEST_P(SigningKeysTest, TheOldKeyFileBecomesTheFirstKey) {
  // What earlier versions made in the data directory.
  auto file_key = auth::load_or_create_signing_key(legacy_dir());
  run_async(ctx_, ensure_signing_key(*db_, legacy_dir(), kNow));
  auto keys = run_async(ctx_, load_signing_keys(*db_, kNow));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key.kid, file_key.kid);
  EXPECT_EQ(keys[0].key.secret_key, file_key.secret_key);
}

TEST_P(SigningKeysTest, RotationSignsWithTheNewKeyAndRetiresTheOld) {
  SigningKeyRing ring(*db_);
  run_async(ctx_, ring.load(legacy_dir()));
  auto first = ring.current();
  ASSERT_TRUE(first);

  auto rotation = run_async(ctx_, rotate_signing_key(*db_, legacy_dir(), kNow, kRetireAfter));
  EXPECT_NE(rotation.kid, first->kid);
  ASSERT_EQ(rotation.retiring.size(), 1u);
  EXPECT_EQ(rotation.retiring[0].first, first->kid);
  EXPECT_EQ(rotation.retiring[0].second, kNow + kRetireAfter);

  // A ring that re-reads (as running instances do every few seconds) signs with the new key.
  SigningKeyRing reread(*db_);
  run_async(ctx_, reread.load(legacy_dir()));
  EXPECT_EQ(reread.current()->kid, rotation.kid);

  // Both verify until the old one retires; then only the new one is published.
  auto both = published(kNow + kRetireAfter - 1);
  EXPECT_EQ(both.size(), 2u);
  EXPECT_EQ(published(kNow + kRetireAfter), std::vector<std::string>{rotation.kid});
  EXPECT_EQ(rows(), 2);

  // The next rotation forgets keys retired by then and retires the second.
  auto later = kNow + kRetireAfter + 10;
  auto next = run_async(ctx_, rotate_signing_key(*db_, legacy_dir(), later, kRetireAfter));
  ASSERT_EQ(next.retiring.size(), 1u);
  EXPECT_EQ(next.retiring[0].first, rotation.kid);
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(published(later).size(), 2u);
}

TEST_P(SigningKeysTest, RotatingTwiceQuicklyKeepsEachRetirementTime) {
  run_async(ctx_, ensure_signing_key(*db_, legacy_dir(), kNow));
  auto first = run_async(ctx_, rotate_signing_key(*db_, legacy_dir(), kNow, kRetireAfter));
  auto second = run_async(ctx_, rotate_signing_key(*db_, legacy_dir(), kNow + 5, kRetireAfter));
  ASSERT_EQ(second.retiring.size(), 2u);
  EXPECT_EQ(second.retiring[0].second, kNow + kRetireAfter);  // unchanged by the second
  EXPECT_EQ(second.retiring[1].first, first.kid);
  EXPECT_EQ(second.retiring[1].second, kNow + 5 + kRetireAfter);
  EXPECT_EQ(published(kNow + 5).size(), 3u);
}

TEST(SigningKeyRetirement, CoversTheTokenLifetimeLeewayAndReload) {
  config::Config config;
  config.section<Settings>().access_token_ttl_s = 900;
  EXPECT_GE(retirement_delay_s(config), 900 + 30 + kSigningKeyReload.count());
}

INSTANTIATE_TEST_SUITE_P(Dialects, SigningKeysTest, ordo::testing::kBothDialects,
                         ordo::testing::dialect_test_name);

}  // namespace
}  // namespace ordo::services::users
