// Ed25519 signing keys: made from a 32-byte seed (what a key store keeps), and the key file of
// earlier versions (<data_dir>/jwt-signing-key.json, mode 0600), which the users service now
// imports into its database once (services/users/signing_keys.hpp).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "platform/auth/jwt.hpp"

namespace ordo::auth {

// The key pair of a seed; its kid is derived from the public key. Throws unless 32 bytes.
SigningKey signing_key_from_seed(std::string_view seed);
// 32 random bytes.
std::string new_signing_key_seed();
// The seed in <dir>/jwt-signing-key.json, checked against its kid; nullopt when there is no
// such file, an error when it is corrupted.
std::optional<std::string> read_signing_key_file_seed(const std::string& dir);

// Loads <dir>/jwt-signing-key.json, creating it (and dir) with a fresh Ed25519 key when absent:
// what versions before the users service's key store did at start (tests make old files with it).
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
