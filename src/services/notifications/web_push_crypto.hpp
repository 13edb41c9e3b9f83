// Web Push message encryption (RFC 8291: ECDH P-256 + HKDF-SHA256 into an RFC 8188 aes128gcm
// record) and VAPID (RFC 8292: an ES256 JWT naming the push service's origin). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/auth/p256.hpp"

namespace ordo::services::notifications::web_push {

inline constexpr std::size_t kAuthSecretBytes = 16;
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::uint32_t kRecordSize = 4096;
// What fits one record: rs minus the AEAD tag (16) and the padding delimiter (1).
inline constexpr std::size_t kMaxPlaintextBytes = kRecordSize - 16 - 1;

// The body of a push message: salt | rs | idlen | the sender's public point | ciphertext, one
// record, for the user agent whose key is ua_public (65 bytes) and auth secret is auth (16).
// A fresh ephemeral key and salt per message. Throws std::invalid_argument on bad keys or a
// plaintext over kMaxPlaintextBytes.
std::string encrypt(std::string_view plaintext, std::string_view ua_public, std::string_view auth);
// The same with the ephemeral key and the salt given: for test vectors (RFC 8291 Appendix A).
std::string encrypt_with(std::string_view plaintext, std::string_view ua_public,
                         std::string_view auth, const auth::P256Key& ephemeral,
                         std::string_view salt);

// "https://push.example.net" for "https://push.example.net/send/abc": the JWT's aud. nullopt
// unless an absolute http(s) URL.
std::optional<std::string> endpoint_origin(std::string_view endpoint);

// The VAPID token: header {typ: JWT, alg: ES256}, claims {aud, exp, sub}, signed with key.
std::string vapid_jwt(const auth::P256Key& key, std::string_view audience, std::int64_t exp,
                      std::string_view subject);
// The Authorization field's value: "vapid t=<jwt>, k=<base64url public point>".
std::string vapid_authorization(const auth::P256Key& key, std::string_view audience,
                                std::int64_t exp, std::string_view subject);

}  // namespace ordo::services::notifications::web_push
