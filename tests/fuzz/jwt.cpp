// The JWT codec (platform/auth/jwt): verify() on arbitrary token text; verify() on tokens whose
// header and payload are arbitrary but correctly signed (the input, split at its first newline),
// so that the claim checks behind the signature are reached; parse_jwks() on arbitrary JSON.
// Promises: a token is accepted or refused with a JwtError, never anything else; accepted claims
// signed again verify to the same claims; a JWKS read back from its own output is the same.
#include <sodium.h>

#include <boost/json/parse.hpp>

#include "fuzz_support.hpp"
#include "platform/auth/jwt.hpp"
#include "platform/core/encoding.hpp"

namespace {

using namespace ordo;
constexpr std::int64_t kNow = 1'800'000'000;

struct Keys {
  auth::SigningKey signing;
  auth::JwtVerifier verifier;
};

const Keys& keys() {
  static const Keys instance = [] {
    if (sodium_init() < 0)
      fuzz::violated("libsodium did not start");
    unsigned char seed[crypto_sign_SEEDBYTES];
    std::fill(std::begin(seed), std::end(seed), static_cast<unsigned char>(42));
    unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
    unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(public_key, secret_key, seed);
    auth::SigningKey signing{"k1",
                             std::string(reinterpret_cast<char*>(secret_key), sizeof secret_key),
                             std::string(reinterpret_cast<char*>(public_key), sizeof public_key)};
    std::map<std::string, auth::VerificationKey> verification{{"k1", {"k1", signing.public_key}}};
    return Keys{signing, auth::JwtVerifier(verification, {"ordo", "ordo-api"})};
  }();
  return instance;
}

// A token of this header and payload text with a valid signature by the fuzz key.
std::string signed_token(std::string_view header, std::string_view payload) {
  std::string input = core::base64url_encode(header) + "." + core::base64url_encode(payload);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size(),
                       reinterpret_cast<const unsigned char*>(keys().signing.secret_key.data()));
  return input + "." +
         core::base64url_encode(
             std::string_view(reinterpret_cast<char*>(signature), sizeof signature));
}

bool same_claims(const auth::Claims& a, const auth::Claims& b) {
  return a.sub == b.sub && a.role == b.role && a.jti == b.jti && a.sid == b.sid && a.ver == b.ver &&
         a.iss == b.iss && a.aud == b.aud && a.iat == b.iat && a.nbf == b.nbf && a.exp == b.exp;
}

void check_result(const auth::VerifyResult& result) {
  fuzz::check(result.claims.has_value() != result.error.has_value(),
              "a verification with both or neither of claims and error");
  if (result.ok()) {
    auto again = keys().verifier.verify(auth::sign_jwt(*result.claims, keys().signing), kNow);
    fuzz::check(again.ok() && same_claims(*again.claims, *result.claims),
                "accepted claims signed again do not verify to the same claims");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto text = fuzz::as_text(data, size);
    check_result(keys().verifier.verify(text, kNow));

    auto newline = text.find('\n');
    auto header = text.substr(0, newline);
    auto payload =
        newline == std::string_view::npos ? std::string_view("{}") : text.substr(newline + 1);
    check_result(keys().verifier.verify(signed_token(header, payload), kNow));

    boost::system::error_code ec;
    auto document = boost::json::parse(text, ec);
    if (!ec) {
      auto found = auth::parse_jwks(document);
      for (const auto& [kid, key] : found)
        fuzz::check(kid == key.kid && key.public_key.size() == crypto_sign_PUBLICKEYBYTES,
                    "a JWKS key of the wrong size");
      auto again = auth::parse_jwks(auth::jwks(found));
      fuzz::check(again.size() == found.size(), "a JWKS does not re-encode");
      for (const auto& [kid, key] : found)
        fuzz::check(again.contains(kid) && again.at(kid).public_key == key.public_key,
                    "a JWKS key does not re-encode");
    }
  } catch (const std::exception& e) {
    fuzz::violated(std::string("unexpected exception: ") + e.what());
  }
  return 0;
}
