#include "services/notifications/web_push_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/encoding.hpp"

namespace ordo::services::notifications::web_push {
namespace {

constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kKeyBytes = 16;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kPointBytes = 65;

struct FreePkeyCtx {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct FreeCipherCtx {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// HKDF-SHA256 (RFC 5869), extract then expand, to `length` bytes.
std::string hkdf(std::string_view salt, std::string_view ikm, std::string_view info,
                 std::size_t length) {
  std::unique_ptr<EVP_PKEY_CTX, FreePkeyCtx> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  std::string out(length, '\0');
  std::size_t out_length = length;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), bytes(salt), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), bytes(ikm), static_cast<int>(ikm.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), bytes(info), static_cast<int>(info.size())) <= 0 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_length) <= 0 ||
      out_length != length) {
    throw std::runtime_error("HKDF failed");
  }
  return out;
}

std::string aes128gcm_seal(std::string_view key, std::string_view nonce,
                           std::string_view plaintext) {
  std::unique_ptr<EVP_CIPHER_CTX, FreeCipherCtx> ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  int final_written = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cursor, &written, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cursor + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          cursor + plaintext.size()) != 1) {
    throw std::runtime_error("AES-128-GCM failed");
  }
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
    throw std::runtime_error("no random bytes");
  return out;
}

void append_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((value >> shift) & 0xFF);
}

}  // namespace

std::string encrypt(std::string_view plaintext, std::string_view ua_public, std::string_view auth) {
  return encrypt_with(plaintext, ua_public, auth, auth::P256Key::generate(),
                      random_bytes(kSaltBytes));
}

std::string encrypt_with(std::string_view plaintext, std::string_view ua_public,
                         std::string_view auth_secret, const auth::P256Key& ephemeral,
                         std::string_view salt) {
  if (auth_secret.size() != kAuthSecretBytes)
    throw std::invalid_argument("the auth secret must be 16 bytes");
  if (salt.size() != kSaltBytes)
    throw std::invalid_argument("the salt must be 16 bytes");
  if (plaintext.size() > kMaxPlaintextBytes)
    throw std::invalid_argument("the push message is too long for one record");
  if (!auth::is_p256_point(ua_public))
    throw std::invalid_argument("the subscription's p256dh is not a P-256 point");
  auto as_public = ephemeral.public_point();
  auto ecdh_secret = ephemeral.derive(ua_public);

  // RFC 8291 3.3: the auth secret mixes into the input keying material, bound to both keys.
  std::string key_info = "WebPush: info";
  key_info += '\0';
  key_info.append(ua_public);
  key_info.append(as_public);
  auto ikm = hkdf(auth_secret, ecdh_secret, key_info, 32);
  // RFC 8188 2.2 / 2.3: the content-encryption key and the nonce from the salt.
  std::string cek_info = "Content-Encoding: aes128gcm";
  cek_info += '\0';
  std::string nonce_info = "Content-Encoding: nonce";
  nonce_info += '\0';
  auto cek = hkdf(salt, ikm, cek_info, kKeyBytes);
  auto nonce = hkdf(salt, ikm, nonce_info, kNonceBytes);

  // One record, the last: the plaintext then the delimiter 0x02, no further padding. Its
  // sequence number is 0, so its nonce is NONCE itself.
  std::string record(plaintext);
  record += '\x02';
  std::string body(salt);
  append_u32(body, kRecordSize);
  body += static_cast<char>(kPointBytes);
  body += as_public;
  body += aes128gcm_seal(cek, nonce, record);
  return body;
}

std::optional<std::string> endpoint_origin(std::string_view endpoint) {
  std::string_view scheme;
  if (endpoint.starts_with("https://"))
    scheme = "https://";
  else if (endpoint.starts_with("http://"))
    scheme = "http://";
  else
    return std::nullopt;
  auto rest = endpoint.substr(scheme.size());
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return std::nullopt;
  return std::string(scheme) + std::string(authority);
}

std::string vapid_jwt(const auth::P256Key& key, std::string_view audience, std::int64_t exp,
                      std::string_view subject) {
  boost::json::object header{{"typ", "JWT"}, {"alg", "ES256"}};
  boost::json::object claims{{"aud", audience}, {"exp", exp}, {"sub", subject}};
  auto signing_input = core::base64url_encode(boost::json::serialize(header)) + "." +
                       core::base64url_encode(boost::json::serialize(claims));
  return signing_input + "." + core::base64url_encode(key.sign_es256(signing_input));
}

std::string vapid_authorization(const auth::P256Key& key, std::string_view audience,
                                std::int64_t exp, std::string_view subject) {
  return "vapid t=" + vapid_jwt(key, audience, exp, subject) +
         ", k=" + core::base64url_encode(key.public_point());
}

}  // namespace ordo::services::notifications::web_push
