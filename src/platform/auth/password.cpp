#include "platform/auth/password.hpp"

#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <sodium.h>

#include "platform/core/sodium.hpp"

namespace ordo::auth {
namespace {
void check_cost(const PasswordCost& cost) {
  // Out-of-range costs are a configuration bug, not a runtime condition: fail loudly.
  if (cost.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      cost.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
      cost.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      cost.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    throw std::invalid_argument("password cost outside Argon2id limits");
  }
}
}  // namespace

std::string hash_password(std::string_view password, const PasswordCost& cost) {
  core::ensure_sodium();
  check_cost(cost);
  std::array<char, crypto_pwhash_STRBYTES> out{};
  // With valid parameters the only way this fails is Argon2 failing to allocate mem_limit bytes.
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.ops_limit,
                            cost.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
  core::ensure_sodium();
  // libsodium reads the hash as a C string: reject what would not fit or would be cut at a NUL.
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      encoded_hash.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string terminated(encoded_hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

const std::string& dummy_hash(const PasswordCost& cost) {
  static std::mutex mutex;
  static std::map<std::pair<unsigned long long, std::size_t>, std::string> hashes;
  const auto key = std::make_pair(cost.ops_limit, cost.mem_limit);
  {
    std::lock_guard lock(mutex);
    if (auto found = hashes.find(key); found != hashes.end()) {
      return found->second;
    }
  }
  // Hash outside the lock so one slow first call does not stall other costs; if two threads race,
  // the first insert wins and both return that node (map nodes never move).
  core::ensure_sodium();
  std::array<unsigned char, 32> random_password{};
  randombytes_buf(random_password.data(), random_password.size());
  std::string hash =
      hash_password(std::string_view(reinterpret_cast<const char*>(random_password.data()),
                                     random_password.size()),
                    cost);
  std::lock_guard lock(mutex);
  return hashes.emplace(key, std::move(hash)).first->second;
}

}  // namespace ordo::auth
