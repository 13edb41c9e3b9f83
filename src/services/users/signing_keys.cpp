#include "services/users/signing_keys.hpp"
#include "services/users/settings.hpp"

#include <exception>
#include <mutex>

#include <sodium.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/auth/keys.hpp"
#include "platform/core/encoding.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::services::users {
namespace asio = boost::asio;

namespace {
// The verifiers' leeway (auth::VerifyPolicy) with room to spare, as for ended sessions.
constexpr std::int64_t kClockSkewS = 60;

constexpr std::string_view kSelectKeys =
    "SELECT generation, seed, created_at, retire_at FROM signing_keys "
    "WHERE retire_at IS NULL OR retire_at > $1 ORDER BY generation";

StoredSigningKey key_from_row(const sql::Row& row) {
  auto seed = core::base64url_decode(row.text(1));
  if (!seed || seed->size() != crypto_sign_SEEDBYTES) {
    throw std::runtime_error("signing key " + std::to_string(row.integer(0)) +
                             " in the users database is corrupted");
  }
  StoredSigningKey stored{row.integer(0), auth::signing_key_from_seed(*seed), row.integer(2),
                          row.optional_integer(3)};
  sodium_memzero(seed->data(), seed->size());
  return stored;
}

// The seed of the first key: the old key file's, or a new one.
std::string first_seed(const std::string& legacy_dir) {
  if (!legacy_dir.empty()) {
    if (auto seed = auth::read_signing_key_file_seed(legacy_dir))
      return std::move(*seed);
  }
  return auth::new_signing_key_seed();
}

asio::awaitable<void> insert_key(sql::Transaction& tx, std::int64_t generation, std::string seed,
                                 std::int64_t now_s) {
  auto key = auth::signing_key_from_seed(seed);
  auto encoded = core::base64url_encode(seed);
  sodium_memzero(seed.data(), seed.size());
  // ON CONFLICT: another instance made this generation first; its key wins.
  co_await tx.exec(
      "INSERT INTO signing_keys (generation, kid, seed, created_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT DO NOTHING",
      sql::params(generation, key.kid, encoded, now_s));
  sodium_memzero(encoded.data(), encoded.size());
}
}  // namespace

std::int64_t retirement_delay_s(const config::Config& config) {
  return config.section<Settings>().access_token_ttl_s + kClockSkewS + kSigningKeyReload.count();
}

asio::awaitable<std::vector<StoredSigningKey>> load_signing_keys(sql::Database& db,
                                                                 std::int64_t now_s) {
  auto result = co_await db.query(kSelectKeys, sql::params(now_s));
  std::vector<StoredSigningKey> keys;
  for (const auto& row : result.rows)
    keys.push_back(key_from_row(row));
  co_return keys;
}

asio::awaitable<auth::KeySet> published_keys(sql::Database& db, std::int64_t now_s) {
  auto keys = co_await load_signing_keys(db, now_s);
  auth::KeySet published;
  for (const auto& stored : keys)
    published[stored.key.kid] = auth::public_part(stored.key);
  co_return published;
}

asio::awaitable<void> ensure_signing_key(sql::Database& db, std::string legacy_dir,
                                         std::int64_t now_s) {
  auto count = co_await db.query("SELECT count(*) FROM signing_keys");
  if (count.one().integer(0) > 0)
    co_return;
  auto seed = first_seed(legacy_dir);
  co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    co_await insert_key(tx, 1, seed, now_s);
  });
  sodium_memzero(seed.data(), seed.size());
}

asio::awaitable<Rotation> rotate_signing_key(sql::Database& db, std::string legacy_dir,
                                             std::int64_t now_s, std::int64_t retire_after_s) {
  // The key file of an installation that never started this version is retired like any other.
  co_await ensure_signing_key(db, legacy_dir, now_s);
  Rotation rotation;
  co_await db.transact([&](sql::Transaction& tx) -> asio::awaitable<void> {
    auto newest = co_await tx.exec("SELECT COALESCE(MAX(generation), 0) FROM signing_keys");
    auto generation = newest.one().integer(0) + 1;
    auto seed = auth::new_signing_key_seed();
    rotation.kid = auth::signing_key_from_seed(seed).kid;
    co_await tx.exec(
        "INSERT INTO signing_keys (generation, kid, seed, created_at) VALUES ($1, $2, $3, $4)",
        sql::params(generation, rotation.kid, core::base64url_encode(seed), now_s));
    sodium_memzero(seed.data(), seed.size());
    co_await tx.exec(
        "UPDATE signing_keys SET retire_at = $1 WHERE retire_at IS NULL AND generation < $2",
        sql::params(now_s + retire_after_s, generation));
    co_await tx.exec("DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= $1",
                     sql::params(now_s));
    auto retiring = co_await tx.exec(
        "SELECT kid, retire_at FROM signing_keys WHERE retire_at IS NOT NULL ORDER BY generation");
    for (const auto& row : retiring.rows)
      rotation.retiring.emplace_back(row.text(0), row.integer(1));
  });
  co_return rotation;
}

struct SigningKeyRing::State {
  sql::Database* db = nullptr;
  mutable std::mutex mutex;
  std::shared_ptr<const auth::SigningKey> current;
};

namespace {
// The newest key that is not retiring signs (a rotation retires every older one).
asio::awaitable<void> reload(std::shared_ptr<SigningKeyRing::State> state) {
  auto keys = co_await load_signing_keys(*state->db, core::unix_seconds());
  const StoredSigningKey* newest = nullptr;
  for (const auto& stored : keys) {
    if (!stored.retire_at)
      newest = &stored;
  }
  if (newest == nullptr)
    throw std::runtime_error("the users database holds no signing key");
  auto key = std::make_shared<const auth::SigningKey>(newest->key);
  std::lock_guard lock(state->mutex);
  if (!state->current || state->current->kid != key->kid) {
    log::info("users", "signing with key", {{"kid", key->kid}});
    state->current = std::move(key);
  }
}

asio::awaitable<void> keep_reloading(std::shared_ptr<SigningKeyRing::State> state) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  for (;;) {
    timer.expires_after(kSigningKeyReload);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    std::string failure;
    try {
      co_await reload(state);
    } catch (const std::exception& e) {
      failure = e.what();  // the database is away: keep signing with the key we have
    }
    if (!failure.empty())
      log::warn("users", "cannot re-read the signing keys", {{"error", failure}});
  }
}
}  // namespace

SigningKeyRing::SigningKeyRing(sql::Database& db) : state_(std::make_shared<State>()) {
  state_->db = &db;
}

asio::awaitable<void> SigningKeyRing::load(std::string legacy_dir) {
  co_await ensure_signing_key(*state_->db, legacy_dir, core::unix_seconds());
  co_await reload(state_);
}

void SigningKeyRing::start_reloading(asio::any_io_executor executor) {
  asio::co_spawn(executor, keep_reloading(state_), asio::detached);
}

std::shared_ptr<const auth::SigningKey> SigningKeyRing::current() const {
  std::lock_guard lock(state_->mutex);
  return state_->current;
}

}  // namespace ordo::services::users
