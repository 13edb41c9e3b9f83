// P-256 (secp256r1) keys on OpenSSL 3's EVP API, as Web Push needs them: the VAPID key that signs
// ES256 tokens (RFC 8292) and the ephemeral ECDH keys of message encryption (RFC 8291). Points
// travel as the 65-byte uncompressed encoding (0x04 | x | y), private keys as 32-byte scalars.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

namespace ordo::auth {

class P256Key {
 public:
  // A fresh random key pair.
  static P256Key generate();
  // From the 32-byte private scalar (test vectors); nullopt when it is not a valid scalar.
  static std::optional<P256Key> from_private_scalar(std::string_view scalar);
  // A public key alone, from its 65-byte uncompressed point; nullopt when not a point on the curve.
  static std::optional<P256Key> from_public_point(std::string_view point);
  // PKCS#8 PEM of the private key (what the key file holds), and back (nullopt when unreadable
  // or not a P-256 private key).
  std::string private_pem() const;
  static std::optional<P256Key> from_private_pem(std::string_view pem);

  bool has_private() const { return has_private_; }
  std::string public_point() const;  // 65 bytes
  // ECDH with the peer's point: the 32-byte shared x coordinate. Throws std::runtime_error when
  // the point is unusable or this key has no private part.
  std::string derive(std::string_view peer_point) const;
  // ECDSA over SHA-256, the JWS ES256 form: r | s, 32 bytes each (RFC 7518 3.4).
  std::string sign_es256(std::string_view data) const;
  bool verify_es256(std::string_view data, std::string_view signature) const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  struct Free {
    void operator()(EVP_PKEY* key) const;
  };
  P256Key(EVP_PKEY* key, bool has_private) : key_(key, Free{}), has_private_(has_private) {}
  std::shared_ptr<EVP_PKEY> key_;
  bool has_private_ = false;
};

// Whether text is a 65-byte uncompressed point on P-256 (a browser's p256dh key, decoded).
bool is_p256_point(std::string_view point);

// Loads the PEM key at path, creating it (mode 0600, directory 0700 when new) with a fresh key
// when absent; of processes starting together exactly one key is kept. Throws
// std::runtime_error when the file is there but is not a P-256 private key.
P256Key load_or_create_p256_key(const std::string& path);

}  // namespace ordo::auth
