// The access tokens' signing keys, kept in the users service's database (schema/005): every
// instance of the users service signs with the same keys without sharing a volume, and no other
// service holds a private key (they verify with the JWKS, auth::TokenVerifier). The newest key
// not retired signs; a rotation adds a key and retires the others once the last token they
// signed has expired, until when they stay in the JWKS.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "platform/auth/jwt.hpp"
#include "platform/auth/token_verifier.hpp"
#include "platform/config/config.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::users {

struct StoredSigningKey {
  std::int64_t generation = 0;
  auth::SigningKey key;
  std::int64_t created_at = 0;            // unix seconds
  std::optional<std::int64_t> retire_at;  // unix seconds; none while it may still sign
};

// How often a running instance re-reads the keys: the longest it signs with a key after another
// process rotated it away.
constexpr std::chrono::seconds kSigningKeyReload{5};

// How long a key stays published after a rotation: the access tokens' lifetime, the verifiers'
// clock leeway, and the reload interval (an instance may sign with it that much longer).
std::int64_t retirement_delay_s(const config::Config& config);

// The keys not retired at now_s, oldest first.
boost::asio::awaitable<std::vector<StoredSigningKey>> load_signing_keys(sql::Database& db,
                                                                        std::int64_t now_s);
// Their public halves: what /.well-known/jwks.json publishes.
boost::asio::awaitable<auth::KeySet> published_keys(sql::Database& db, std::int64_t now_s);

// Makes the first key when there is none: the key file of earlier versions in legacy_dir when
// there is one (tokens issued before the upgrade stay valid), else a new key. Several instances
// may call it at once: exactly one key becomes the first.
boost::asio::awaitable<void> ensure_signing_key(sql::Database& db, std::string legacy_dir,
                                                std::int64_t now_s);

struct Rotation {
  std::string kid;  // the new key's, which signs from now on
  std::vector<std::pair<std::string, std::int64_t>> retiring;  // kid, retire_at (unix seconds)
};
// `ordo users rotate-key`: adds a key, retires every key not yet retiring at now_s +
// retire_after_s, and forgets keys retired before now_s. Two rotations at once: one fails
// (sql::Error unique_violation).
boost::asio::awaitable<Rotation> rotate_signing_key(sql::Database& db, std::string legacy_dir,
                                                    std::int64_t now_s,
                                                    std::int64_t retire_after_s);

// The key this instance signs with, re-read every kSigningKeyReload (on the database's executor).
class SigningKeyRing {
 public:
  explicit SigningKeyRing(sql::Database& db);
  // Makes the first key if needed (see ensure_signing_key) and reads the keys; at start.
  boost::asio::awaitable<void> load(std::string legacy_dir);
  void start_reloading(boost::asio::any_io_executor executor);
  // The newest key not retired; null before load().
  std::shared_ptr<const auth::SigningKey> current() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ordo::services::users
