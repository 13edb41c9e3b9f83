// JWT (RFC 7519) signed with EdDSA/Ed25519 (RFC 8037): a strict codec that accepts one algorithm.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace ordo::auth {

struct Claims {
  std::string sub;   // user id
  std::string role;  // "admin" | "user"
  std::string jti;
  // The session (refresh-token family) the token was issued to, and the user's token version
  // at issue: a logout ends the session, a change of role or active flag raises the version,
  // and services refuse tokens of ended sessions or older versions (TokenRevocations).
  std::string sid;
  std::int64_t ver = 0;
  std::string iss;
  std::string aud;
  std::int64_t iat = 0;
  std::int64_t nbf = 0;
  std::int64_t exp = 0;
};

// An Ed25519 key pair; kid names it in the token header and in the JWKS.
struct SigningKey {
  std::string kid;
  std::string secret_key;  // 64 bytes (libsodium layout)
  std::string public_key;  // 32 bytes
};

struct VerificationKey {
  std::string kid;
  std::string public_key;  // 32 bytes
};

std::string sign_jwt(const Claims& claims, const SigningKey& key);

enum class JwtError {
  malformed,        // not three base64url parts, bad JSON, missing claims...
  unsupported_alg,  // anything but EdDSA, "none" included
  unknown_key,      // kid not among the verification keys
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
};
std::string_view to_string(JwtError error);

struct VerifyResult {
  std::optional<Claims> claims;
  std::optional<JwtError> error;
  bool ok() const { return claims.has_value(); }
};

struct VerifyPolicy {
  std::string issuer;
  std::string audience;
  std::chrono::seconds leeway{30};
};

class JwtVerifier {
 public:
  JwtVerifier(std::map<std::string, VerificationKey> keys, VerifyPolicy policy);
  VerifyResult verify(std::string_view token, std::int64_t now_unix_seconds) const;
  VerifyResult verify(std::string_view token) const;  // now

 private:
  // Tokens that passed every check except time, by their exact text: a client sends the same
  // token with every request, and an Ed25519 verification costs ~40 us where a lookup costs
  // ~0.1 us. Times are checked again on every use. Shared by copies; bounded.
  struct VerifiedCache;
  VerifyResult verify_uncached(std::string_view token, std::int64_t now_unix_seconds) const;

  std::map<std::string, VerificationKey> keys_;
  VerifyPolicy policy_;
  std::shared_ptr<VerifiedCache> cache_;
};

// The JWKS document (RFC 7517, OKP keys per RFC 8037) for these public keys.
boost::json::value jwks(const std::map<std::string, VerificationKey>& keys);
// Reads a JWKS document back; keys that are not OKP/Ed25519 are ignored.
std::map<std::string, VerificationKey> parse_jwks(const boost::json::value& document);

}  // namespace ordo::auth
