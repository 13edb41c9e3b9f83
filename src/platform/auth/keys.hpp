// The token signing key: generated on first start, kept in the data directory (mode 0600).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "platform/auth/jwt.hpp"

namespace ordo::auth {

// Loads <dir>/jwt-signing-key.json, creating it (and dir) with a fresh Ed25519 key when absent.
SigningKey load_or_create_signing_key(const std::string& dir);
VerificationKey public_part(const SigningKey& key);
std::map<std::string, VerificationKey> key_set(const SigningKey& key);

// For other key files kept the same way (the VAPID key): creates dir (mode 0700 when new), and
// writes contents to file (mode 0600) only if no file is there yet, atomically, so that of two
// processes starting at once exactly one key wins. Returns false when another file won; the
// caller then reads that one.
void ensure_key_directory(const std::filesystem::path& dir);
bool publish_new_key_file(const std::filesystem::path& file, const std::string& contents);

}  // namespace ordo::auth
