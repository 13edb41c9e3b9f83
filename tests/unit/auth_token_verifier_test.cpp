// The JWKS cache: keys fetched at start, one refresh for a token of an unknown kid (shared by
// the requests that wait for it), no more than one per cooldown, and refusal when the refreshed
// keys still do not know the kid.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/auth/keys.hpp"
#include "platform/auth/token_verifier.hpp"
#include "platform/core/time.hpp"

namespace ordo::auth {
namespace {
namespace asio = boost::asio;
using std::chrono::milliseconds;

// What the fake users service publishes, and how often it was asked.
struct FakeJwks {
  KeySet keys;
  int fetches = 0;
  bool fail = false;
  // While set, a fetch waits for the gate to be opened (cancelled).
  std::shared_ptr<asio::steady_timer> gate;
};

asio::awaitable<KeySet> fetch_from(FakeJwks* jwks) {
  ++jwks->fetches;
  if (auto gate = jwks->gate) {
    boost::system::error_code ignored;
    co_await gate->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (jwks->fail)
    throw std::runtime_error("users service unreachable");
  co_return jwks->keys;
}

SigningKey make_key() {
  return signing_key_from_seed(new_signing_key_seed());
}

std::string token_of(const SigningKey& key) {
  Claims claims;
  claims.sub = "user-1";
  claims.role = "user";
  claims.jti = "j";
  claims.sid = "s";
  claims.ver = 1;
  claims.iss = "ordo";
  claims.aud = "ordo-api";
  claims.iat = core::unix_seconds();
  claims.exp = claims.iat + 600;
  return sign_jwt(claims, key);
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  std::unique_ptr<TokenVerifier> make(milliseconds cooldown) {
    KeyCacheOptions options;
    options.unknown_kid_cooldown = cooldown;
    options.retry_min = milliseconds(1);
    options.retry_max = milliseconds(5);
    return std::make_unique<TokenVerifier>(
        io_.get_executor(), [this] { return fetch_from(&jwks_); }, VerifyPolicy{"ordo", "ordo-api"},
        options);
  }

  // Runs the io_context until the coroutine finished (the refresh loop keeps it busy forever).
  template <typename T>
  T run(asio::awaitable<T> work) {
    std::optional<T> result;
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e, T value) {
      failure = e;
      if (!e)
        result.emplace(std::move(value));
      done = true;
    });
    while (!done) {
      if (io_.stopped())
        io_.restart();  // it stops whenever it runs out of work
      io_.run_one();
    }
    if (failure)
      std::rethrow_exception(failure);
    return std::move(*result);
  }

  VerifyResult verify(const TokenVerifier& verifier, const std::string& token) {
    return run(verifier.verify(token));
  }

  asio::io_context io_;
  FakeJwks jwks_;
  SigningKey first_ = make_key();
  SigningKey second_ = make_key();
};

TEST_F(TokenVerifierTest, FetchesAtStartAndVerifiesWithoutFetchingAgain) {
  jwks_.keys = {{first_.kid, public_part(first_)}};
  auto verifier = make(milliseconds(0));
  EXPECT_FALSE(verifier->has_keys());
  verifier->start();
  EXPECT_TRUE(run(verifier->wait_for_keys(milliseconds(10'000))));
  EXPECT_EQ(jwks_.fetches, 1);
  EXPECT_TRUE(verify(*verifier, token_of(first_)).ok());
  EXPECT_TRUE(verify(*verifier, token_of(first_)).ok());
  EXPECT_EQ(jwks_.fetches, 1);
}

TEST_F(TokenVerifierTest, RetriesUntilTheFirstFetchSucceeds) {
  jwks_.keys = {{first_.kid, public_part(first_)}};
  jwks_.fail = true;
  auto verifier = make(milliseconds(0));
  verifier->start();
  while (jwks_.fetches < 3)
    io_.run_one();
  EXPECT_FALSE(verifier->has_keys());
  jwks_.fail = false;
  EXPECT_TRUE(run(verifier->wait_for_keys(milliseconds(10'000))));
  EXPECT_TRUE(verify(*verifier, token_of(first_)).ok());
}

TEST_F(TokenVerifierTest, UnknownKidRefreshesOnceThenVerifies) {
  jwks_.keys = {{first_.kid, public_part(first_)}};
  auto verifier = make(milliseconds(3'600'000));
  verifier->start();
  ASSERT_TRUE(run(verifier->wait_for_keys(milliseconds(10'000))));
  // A rotation: the users service publishes a second key and signs with it.
  jwks_.keys[second_.kid] = public_part(second_);
  auto token = token_of(second_);
  EXPECT_EQ(verifier->verify_known(token).error, JwtError::unknown_key);
  EXPECT_TRUE(verify(*verifier, token).ok());
  EXPECT_EQ(jwks_.fetches, 2);
  EXPECT_TRUE(verify(*verifier, token).ok());
  EXPECT_TRUE(verify(*verifier, token_of(first_)).ok());
  EXPECT_EQ(jwks_.fetches, 2);
}

TEST_F(TokenVerifierTest, UnknownKidAfterRefreshIsRefusedAndRateLimited) {
  jwks_.keys = {{first_.kid, public_part(first_)}};
  auto verifier = make(milliseconds(3'600'000));
  verifier->start();
  ASSERT_TRUE(run(verifier->wait_for_keys(milliseconds(10'000))));
  auto forged = token_of(second_);  // a key the users service never published
  EXPECT_EQ(verify(*verifier, forged).error, JwtError::unknown_key);
  EXPECT_EQ(jwks_.fetches, 2);
  // Within the cooldown: refused without another fetch, however many times.
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(verify(*verifier, forged).error, JwtError::unknown_key);
  EXPECT_EQ(jwks_.fetches, 2);
  EXPECT_TRUE(verify(*verifier, token_of(first_)).ok());
}

TEST_F(TokenVerifierTest, WithoutCooldownEveryUnknownKidFetches) {
  jwks_.keys = {{first_.kid, public_part(first_)}};
  auto verifier = make(milliseconds(0));
  verifier->start();
  ASSERT_TRUE(run(verifier->wait_for_keys(milliseconds(10'000))));
  auto forged = token_of(second_);
  EXPECT_EQ(verify(*verifier, forged).error, JwtError::unknown_key);
  EXPECT_EQ(verify(*verifier, forged).error, JwtError::unknown_key);
  EXPECT_EQ(jwks_.fetches, 3);
}

TEST_F(TokenVerifierTest, ConcurrentUnknownKidsShareOneFetch) {
  jwks_.keys = {{first_.kid, public_part(first_)}};
  auto verifier = make(milliseconds(0));
  verifier->start();
  ASSERT_TRUE(run(verifier->wait_for_keys(milliseconds(10'000))));
  jwks_.keys[second_.kid] = public_part(second_);
  jwks_.gate = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
  auto token = token_of(second_);
  int accepted = 0;
  int finished = 0;
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(io_, verifier->verify(token), [&](std::exception_ptr e, VerifyResult result) {
      accepted += !e && result.ok();
      ++finished;
    });
  }
  // Every request is waiting on the one fetch in flight.
  while (jwks_.fetches < 2)
    io_.run_one();
  for (int i = 0; i < 50; ++i)
    io_.poll_one();
  EXPECT_EQ(finished, 0);
  EXPECT_EQ(jwks_.fetches, 2);
  jwks_.gate->cancel();
  while (finished < 10)
    io_.run_one();
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(jwks_.fetches, 2);
}

TEST_F(TokenVerifierTest, BeforeAnyKeyEveryTokenIsAnUnknownKey) {
  jwks_.fail = true;
  auto verifier = make(milliseconds(3'600'000));
  EXPECT_EQ(verifier->verify_known(token_of(first_)).error, JwtError::unknown_key);
  EXPECT_FALSE(run(verifier->wait_for_keys(milliseconds(0))));
}

TEST_F(TokenVerifierTest, AFixedKeySetNeverFetches) {
  TokenVerifier fixed(io_.get_executor(), KeySet{{first_.kid, public_part(first_)}},
                      VerifyPolicy{"ordo", "ordo-api"});
  fixed.start();
  EXPECT_TRUE(fixed.has_keys());
  EXPECT_TRUE(verify(fixed, token_of(first_)).ok());
  EXPECT_EQ(verify(fixed, token_of(second_)).error, JwtError::unknown_key);
  EXPECT_EQ(fixed.fetches(), 0u);
}

}  // namespace
}  // namespace ordo::auth
