// The token signing key: generated on first start, kept in the data directory (mode 0600).
#pragma once

#include <map>
#include <string>

#include "platform/auth/jwt.hpp"

namespace ordo::auth {

// Loads <dir>/jwt-signing-key.json, creating it (and dir) with a fresh Ed25519 key when absent.
SigningKey load_or_create_signing_key(const std::string& dir);
VerificationKey public_part(const SigningKey& key);
std::map<std::string, VerificationKey> key_set(const SigningKey& key);

}  // namespace ordo::auth
