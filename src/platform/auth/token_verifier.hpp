// Verifies access tokens with the keys the users service publishes (its JWKS), kept fresh: no
// process but the users service holds a private key, so every other one learns the public keys
// from it. The keys are fetched at start (until a fetch succeeds), again every refresh_interval,
// and when a token names a kid we do not know (a rotation happened): that refresh is single-flight
// (requests that miss the same keys wait for one fetch) and rate-limited (unknown_kid_cooldown),
// so tokens with made-up kids cost at most one fetch per cooldown, never one per request.
//
// Threads: verify() may be awaited on any executor (the services' loop, the gateway's loops);
// fetches run on the executor given at construction. Nothing blocks a thread: a request that
// waits for a refresh waits on a timer of its own executor, bounded by unknown_kid_wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/auth/jwt.hpp"

namespace ordo::auth {

using KeySet = std::map<std::string, VerificationKey>;
// Gets the current key set (over HTTP, or from the users service's store in this process).
// Throws when it cannot; an empty set counts as a failure too.
using KeyFetch = std::function<boost::asio::awaitable<KeySet>()>;

struct KeyCacheOptions {
  std::chrono::milliseconds refresh_interval{300'000};
  std::chrono::milliseconds unknown_kid_cooldown{2'000};
  std::chrono::milliseconds unknown_kid_wait{3'000};
  // While no key is known (or a periodic fetch fails): retries, doubling from min to max.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5'000};
};

class TokenVerifier {
 public:
  TokenVerifier(boost::asio::any_io_executor fetch_executor, KeyFetch fetch, VerifyPolicy policy,
                KeyCacheOptions options = {});
  // A verifier of a fixed key set, never refreshed (tests, tools).
  TokenVerifier(boost::asio::any_io_executor executor, KeySet keys, VerifyPolicy policy);
  ~TokenVerifier();
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // Fetches now, then keeps the keys fresh until stop().
  void start();
  void stop();

  // With the keys known now; a kid we do not know is JwtError::unknown_key.
  VerifyResult verify_known(std::string_view token) const;
  // The same, but an unknown kid first asks for fresh keys (see above) and tries once more.
  boost::asio::awaitable<VerifyResult> verify(std::string token) const;

  bool has_keys() const;
  // Until keys are known or the timeout passed; returns has_keys().
  boost::asio::awaitable<bool> wait_for_keys(std::chrono::milliseconds timeout) const;
  // Fetches started (successful or not), for tests and metrics.
  std::uint64_t fetches() const;

  struct State;  // shared with the fetches and waits in flight

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ordo::auth
