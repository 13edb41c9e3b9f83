#include "platform/auth/p256.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "platform/auth/keys.hpp"

namespace ordo::auth {
namespace {

constexpr char kGroup[] = "prime256v1";
constexpr std::size_t kPointBytes = 65;
constexpr std::size_t kScalarBytes = 32;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ParamBuild = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using Group = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using Point = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using Signature = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("P-256: ") + what);
}

// EVP_PKEY_fromdata with the group and the given public point (and private scalar).
EVP_PKEY* key_from_parts(std::string_view point, const BIGNUM* scalar) {
  ParamBuild build(OSSL_PARAM_BLD_new());
  if (!build ||
      !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size()) ||
      (scalar && !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar))) {
    fail("cannot build key parameters");
  }
  Params params(OSSL_PARAM_BLD_to_param(build.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, scalar ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) <= 0) {
    return nullptr;
  }
  return key;
}

bool point_is_valid(EVP_PKEY* key) {
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  return check && EVP_PKEY_public_check(check.get()) == 1;
}

bool is_p256(EVP_PKEY* key) {
  char name[64] = {};
  return EVP_PKEY_is_a(key, "EC") &&
         EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                        nullptr) == 1 &&
         std::string_view(name) == kGroup;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open key file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void P256Key::Free::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

P256Key P256Key::generate() {
  EVP_PKEY* key = EVP_EC_gen(kGroup);
  if (!key)
    fail("cannot generate a key");
  return P256Key(key, true);
}

std::optional<P256Key> P256Key::from_private_scalar(std::string_view scalar) {
  if (scalar.size() != kScalarBytes)
    return std::nullopt;
  Bignum d(BN_bin2bn(bytes(scalar), static_cast<int>(scalar.size()), nullptr));
  Group group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!d || !group)
    fail("out of memory");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0)
    return std::nullopt;
  // The public point is d·G; EVP_PKEY_fromdata wants both parts.
  Point q(EC_POINT_new(group.get()));
  unsigned char encoded[kPointBytes];
  if (!q || !EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, nullptr) ||
      EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, encoded,
                         sizeof encoded, nullptr) != kPointBytes) {
    fail("cannot compute the public point");
  }
  EVP_PKEY* key =
      key_from_parts(std::string_view(reinterpret_cast<char*>(encoded), kPointBytes), d.get());
  if (!key)
    return std::nullopt;
  return P256Key(key, true);
}

std::optional<P256Key> P256Key::from_public_point(std::string_view point) {
  if (point.size() != kPointBytes || point[0] != 0x04)
    return std::nullopt;
  EVP_PKEY* key = key_from_parts(point, nullptr);
  if (!key)
    return std::nullopt;
  P256Key out(key, false);
  if (!point_is_valid(key))
    return std::nullopt;
  return out;
}

std::string P256Key::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      !PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    fail("cannot write the key");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::optional<P256Key> P256Key::from_private_pem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio)
    fail("out of memory");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key)
    return std::nullopt;
  P256Key out(key, true);
  if (!is_p256(key))
    return std::nullopt;
  return out;
}

std::string P256Key::public_point() const {
  std::string point(kPointBytes, '\0');
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      reinterpret_cast<unsigned char*>(point.data()), point.size(),
                                      &length) != 1 ||
      length != kPointBytes) {
    fail("cannot encode the public point");
  }
  return point;
}

std::string P256Key::derive(std::string_view peer_point) const {
  if (!has_private_)
    fail("ECDH needs a private key");
  auto peer = from_public_point(peer_point);
  if (!peer)
    fail("the peer's key is not a P-256 point");
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  std::size_t length = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer->get()) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &length) <= 0) {
    fail("ECDH failed");
  }
  std::string secret(length, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &length) <= 0)
    fail("ECDH failed");
  secret.resize(length);
  return secret;
}

std::string P256Key::sign_es256(std::string_view data) const {
  if (!has_private_)
    fail("signing needs a private key");
  MdCtx md(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key_.get()) <= 0 ||
      EVP_DigestSign(md.get(), nullptr, &length, bytes(data), data.size()) <= 0) {
    fail("cannot sign");
  }
  std::string der(length, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &length, bytes(data),
                     data.size()) <= 0) {
    fail("cannot sign");
  }
  // OpenSSL signs in DER; JWS wants the two integers side by side, fixed width.
  const unsigned char* cursor = bytes(der);
  Signature signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(length)));
  if (!signature)
    fail("cannot read the signature");
  std::string raw(2 * kScalarBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(signature.get()), out, kScalarBytes) != kScalarBytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(signature.get()), out + kScalarBytes, kScalarBytes) !=
          kScalarBytes) {
    fail("cannot encode the signature");
  }
  return raw;
}

bool P256Key::verify_es256(std::string_view data, std::string_view signature) const {
  if (signature.size() != 2 * kScalarBytes)
    return false;
  Signature parsed(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(signature), kScalarBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(signature.substr(kScalarBytes)), kScalarBytes, nullptr);
  if (!parsed || !r || !s || ECDSA_SIG_set0(parsed.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  int der_length = i2d_ECDSA_SIG(parsed.get(), &der);
  if (der_length <= 0)
    return false;
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  MdCtx md(EVP_MD_CTX_new());
  return md && EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key_.get()) > 0 &&
         EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_length), bytes(data),
                          data.size()) == 1;
}

bool is_p256_point(std::string_view point) {
  return P256Key::from_public_point(point).has_value();
}

P256Key load_or_create_p256_key(const std::string& path) {
  const std::filesystem::path file(path);
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(file, ec))) {
    if (file.has_parent_path())
      ensure_key_directory(file.parent_path());
    auto key = P256Key::generate();
    auto pem = key.private_pem();
    bool won = publish_new_key_file(file, pem);
    std::fill(pem.begin(), pem.end(), '\0');
    // The loser of a concurrent first start adopts the winner's key.
    if (won)
      return key;
  }
  auto pem = read_file(file);
  auto key = P256Key::from_private_pem(pem);
  std::fill(pem.begin(), pem.end(), '\0');
  if (!key) {
    throw std::runtime_error("key file " + path +
                             " is not a P-256 private key in PEM; restore it from backup or remove "
                             "it to have a new one made");
  }
  return *key;
}

}  // namespace ordo::auth
