// The browser's side of Web Push, for tests: a subscription's key pair and auth secret, RFC 8291
// decryption of what a push endpoint received, and RFC 8292 VAPID checking. Written straight on
// OpenSSL's EVP API, apart from the production encryption code, so that the tests do not grade
// the channel with its own arithmetic.
#pragma once

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "platform/core/encoding.hpp"

namespace ordo::testing {

class WebPushClient {
 public:
  WebPushClient() : key_(EVP_EC_gen("prime256v1"), EVP_PKEY_free), auth_(16, '\0') {
    if (!key_ || RAND_bytes(reinterpret_cast<unsigned char*>(auth_.data()), 16) != 1)
      throw std::runtime_error("cannot make a subscription key");
  }

  std::string public_point() const { return point_of(key_.get()); }
  const std::string& auth_secret() const { return auth_; }
  std::string p256dh() const { return core::base64url_encode(public_point()); }
  std::string auth() const { return core::base64url_encode(auth_); }

  // The plaintext of an aes128gcm body of one record, or nullopt when it does not decrypt (bad
  // header, wrong keys, tampered ciphertext, missing delimiter).
  std::optional<std::string> decrypt(std::string_view body) const {
    if (body.size() < 21)
      return std::nullopt;
    auto salt = body.substr(0, 16);
    std::uint32_t rs = 0;
    for (int i = 16; i < 20; ++i)
      rs = (rs << 8) | static_cast<unsigned char>(body[static_cast<std::size_t>(i)]);
    auto idlen = static_cast<unsigned char>(body[20]);
    if (idlen != 65 || body.size() < 21 + 65 + 17)
      return std::nullopt;
    auto sender = body.substr(21, 65);
    auto ciphertext = body.substr(21 + 65);
    if (ciphertext.size() > rs)
      return std::nullopt;  // this reader expects one record, as the channel sends
    auto shared = ecdh(sender);
    if (!shared)
      return std::nullopt;
    std::string key_info =
        std::string("WebPush: info") + '\0' + public_point() + std::string(sender);
    auto ikm = hkdf(auth_, *shared, key_info, 32);
    auto cek = hkdf(salt, ikm, std::string("Content-Encoding: aes128gcm") + '\0', 16);
    auto nonce = hkdf(salt, ikm, std::string("Content-Encoding: nonce") + '\0', 12);
    auto padded = open(cek, nonce, ciphertext);
    if (!padded)
      return std::nullopt;
    // The last record ends in 0x02 then zero padding.
    auto end = padded->find_last_not_of('\0');
    if (end == std::string::npos || (*padded)[end] != '\x02')
      return std::nullopt;
    return padded->substr(0, end);
  }

 private:
  using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

  static std::string point_of(EVP_PKEY* key) {
    std::string point(65, '\0');
    std::size_t length = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                    reinterpret_cast<unsigned char*>(point.data()), point.size(),
                                    &length);
    point.resize(length);
    return point;
  }

  std::optional<std::string> ecdh(std::string_view sender_point) const {
    auto peer = public_key(sender_point);
    if (!peer)
      return std::nullopt;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr), EVP_PKEY_CTX_free);
    std::string secret(32, '\0');
    std::size_t length = secret.size();
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0 ||
        EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &length) <= 0)
      return std::nullopt;
    secret.resize(length);
    return secret;
  }

 public:
  // A P-256 public key from its uncompressed point (null when it is not one).
  static Pkey public_key(std::string_view point) {
    Pkey none(nullptr, EVP_PKEY_free);
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                          OSSL_PARAM_BLD_free);
    OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
        OSSL_PARAM_BLD_to_param(build.get()), OSSL_PARAM_free);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
      return none;
    return Pkey(key, EVP_PKEY_free);
  }

 private:
  static std::string hkdf(std::string_view salt, std::string_view ikm, std::string_view info,
                          std::size_t length) {
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                          EVP_KDF_free);
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                  EVP_KDF_CTX_free);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_octet_string(
                               OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
                           OSSL_PARAM_construct_octet_string(
                               OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size()),
                           OSSL_PARAM_construct_octet_string(
                               OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
                           OSSL_PARAM_construct_end()};
    std::string out(length, '\0');
    if (!ctx || EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length,
                               params) != 1)
      throw std::runtime_error("HKDF failed");
    return out;
  }

  static std::optional<std::string> open(std::string_view key, std::string_view nonce,
                                         std::string_view sealed) {
    if (sealed.size() < 16)
      return std::nullopt;
    auto ciphertext = sealed.substr(0, sealed.size() - 16);
    std::string tag(sealed.substr(sealed.size() - 16));
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        EVP_CIPHER_CTX_free);
    std::string out(ciphertext.size(), '\0');
    int n = 0;
    int last = 0;
    auto u = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u(key), u(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                          u(ciphertext), static_cast<int>(ciphertext.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &last) !=
            1)
      return std::nullopt;
    return out;
  }

  Pkey key_;
  std::string auth_;
};

// What a push service checks of an Authorization: vapid t=..., k=... field: the token is an
// ES256 JWT signed by the key k, for `origin`, not expired at now_s, expiring within 24 h
// (RFC 8292 2), with a sub. Returns the empty string when it holds, else what is wrong.
inline std::string vapid_problem(std::string_view authorization, std::string_view origin,
                                 std::int64_t now_s) {
  if (!authorization.starts_with("vapid "))
    return "not a vapid scheme";
  auto t_at = authorization.find("t=");
  auto k_at = authorization.find("k=");
  if (t_at == std::string_view::npos || k_at == std::string_view::npos)
    return "t= or k= missing";
  auto value = [&](std::size_t at) {
    auto rest = authorization.substr(at + 2);
    return rest.substr(0, rest.find_first_of(", "));
  };
  auto token = value(t_at);
  auto point = core::base64url_decode(value(k_at));
  if (!point || point->size() != 65)
    return "k is not a 65-byte point";
  auto first = token.find('.');
  auto second = token.rfind('.');
  if (first == std::string_view::npos || first == second)
    return "t is not a JWT";
  auto header = core::base64url_decode(token.substr(0, first));
  auto claims = core::base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = core::base64url_decode(token.substr(second + 1));
  if (!header || !claims || !signature || signature->size() != 64)
    return "t's parts do not decode";
  auto header_json = boost::json::parse(*header).as_object();
  if (header_json.at("alg").as_string() != "ES256")
    return "alg is not ES256";
  // The raw r|s signature as DER, for EVP_DigestVerify.
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  auto* u = reinterpret_cast<const unsigned char*>(signature->data());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(u, 32, nullptr), BN_bin2bn(u + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_length = i2d_ECDSA_SIG(sig.get(), &der);
  auto key = WebPushClient::public_key(*point);
  if (!key)
    return "k is not a P-256 point";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  auto signed_part = token.substr(0, second);
  bool good = EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
              EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_length),
                               reinterpret_cast<const unsigned char*>(signed_part.data()),
                               signed_part.size()) == 1;
  OPENSSL_free(der);
  if (!good)
    return "the signature does not verify with k";
  auto body = boost::json::parse(*claims).as_object();
  if (!body.contains("aud") || body.at("aud").as_string() != origin)
    return "aud is not " + std::string(origin);
  if (!body.contains("exp") || !body.at("exp").is_int64())
    return "exp missing";
  auto exp = body.at("exp").as_int64();
  if (exp <= now_s || exp > now_s + 24 * 3600)
    return "exp is not within the next 24 hours";
  if (!body.contains("sub") || !body.at("sub").is_string())
    return "sub missing";
  return {};
}

}  // namespace ordo::testing
