// Argon2id password hashing (libsodium) at OWASP's parameters. Blocking: call on a worker pool.
#pragma once

#include <string>
#include <string_view>

namespace ordo::auth {

struct PasswordCost {
  unsigned long long ops_limit = 2;             // OWASP: t=2
  std::size_t mem_limit = 19ull * 1024 * 1024;  // OWASP: m=19 MiB
};

std::string hash_password(std::string_view password, const PasswordCost& cost = {});
bool verify_password(std::string_view encoded_hash, std::string_view password);
// A valid hash of a random password: login verifies against it for unknown emails, so an unknown
// email costs the same time as a wrong password.
const std::string& dummy_hash(const PasswordCost& cost = {});

}  // namespace ordo::auth
