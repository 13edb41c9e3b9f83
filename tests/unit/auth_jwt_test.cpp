#include <array>
#include <string>

#include <gtest/gtest.h>
#include <sodium.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/auth/jwt.hpp"
#include "platform/core/encoding.hpp"
#include "platform/core/sodium.hpp"

namespace ordo::auth {
namespace {
using core::base64url_encode;

constexpr std::int64_t kNow = 1'700'000'000;

SigningKey make_key(std::string kid) {
  core::ensure_sodium();
  std::array<unsigned char, 32> pk{};
  std::array<unsigned char, 64> sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  return {std::move(kid), std::string(reinterpret_cast<char*>(sk.data()), sk.size()),
          std::string(reinterpret_cast<char*>(pk.data()), pk.size())};
}

VerificationKey public_of(const SigningKey& key) {
  return {key.kid, key.public_key};
}

std::string ed25519_sign(std::string_view input, const SigningKey& key) {
  std::array<unsigned char, 64> signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return std::string(reinterpret_cast<char*>(signature.data()), signature.size());
}

// Builds "<b64(header)>.<b64(payload)>.<b64(signature)>" from raw JSON text, signed with `key`.
std::string forge(std::string_view header, std::string_view payload, const SigningKey& key) {
  const std::string input = base64url_encode(header) + '.' + base64url_encode(payload);
  return input + '.' + base64url_encode(ed25519_sign(input, key));
}

std::string payload_json(std::string_view extra = "") {
  return R"({"sub":"u-1","role":"user","jti":"j-1","sid":"s-1","ver":1,"iss":"ordo","aud":"ordo-api",)"
         R"("iat":1700000000,"exp":1700000900)" +
         std::string(extra) + "}";
}

class Jwt : public ::testing::Test {
 protected:
  Jwt() : key_(make_key("k1")), other_(make_key("k2")) {}

  Claims claims() const {
    Claims c;
    c.sub = "u-1";
    c.role = "user";
    c.jti = "j-1";
    c.sid = "s-1";
    c.ver = 3;
    c.iss = "ordo";
    c.aud = "ordo-api";
    c.iat = kNow;
    c.exp = kNow + 900;
    return c;
  }
  JwtVerifier verifier() const {
    return JwtVerifier({{key_.kid, public_of(key_)}}, VerifyPolicy{"ordo", "ordo-api"});
  }
  std::optional<JwtError> error_of(std::string_view token, std::int64_t now = kNow) const {
    const VerifyResult result = verifier().verify(token, now);
    EXPECT_NE(result.ok(), result.error.has_value());
    return result.error;
  }
  std::string header(std::string_view alg = "EdDSA") const {
    return R"({"alg":")" + std::string(alg) + R"(","typ":"JWT","kid":")" + key_.kid + "\"}";
  }

  SigningKey key_;
  SigningKey other_;
};

TEST_F(Jwt, SignedTokenRoundTrips) {
  const std::string token = sign_jwt(claims(), key_);
  const VerifyResult result = verifier().verify(token, kNow + 10);
  ASSERT_TRUE(result.ok()) << to_string(*result.error);
  EXPECT_EQ(result.claims->sub, "u-1");
  EXPECT_EQ(result.claims->role, "user");
  EXPECT_EQ(result.claims->jti, "j-1");
  EXPECT_EQ(result.claims->sid, "s-1");
  EXPECT_EQ(result.claims->ver, 3);
  EXPECT_EQ(result.claims->iss, "ordo");
  EXPECT_EQ(result.claims->aud, "ordo-api");
  EXPECT_EQ(result.claims->iat, kNow);
  EXPECT_EQ(result.claims->exp, kNow + 900);
  EXPECT_EQ(result.claims->nbf, 0);
}

TEST_F(Jwt, HeaderNamesAlgorithmTypeAndKey) {
  const std::string token = sign_jwt(claims(), key_);
  const auto header_text = core::base64url_decode(token.substr(0, token.find('.')));
  ASSERT_TRUE(header_text);
  EXPECT_EQ(boost::json::parse(*header_text),
            boost::json::parse(R"({"alg":"EdDSA","typ":"JWT","kid":"k1"})"));
}

TEST_F(Jwt, VerifiesWithCurrentTimeOverload) {
  Claims c = claims();
  c.iat = 0;
  c.exp = 4'000'000'000;
  EXPECT_TRUE(verifier().verify(sign_jwt(c, key_)).ok());
}

TEST_F(Jwt, RejectsAlgNone) {
  const std::string unsigned_token = base64url_encode(R"({"alg":"none","typ":"JWT"})") + '.' +
                                     base64url_encode(payload_json()) + '.';
  EXPECT_EQ(error_of(unsigned_token), JwtError::malformed);
  // Even carrying some signature bytes, "none" is refused for what it is.
  EXPECT_EQ(error_of(forge(header("none"), payload_json(), key_)), JwtError::unsupported_alg);
  EXPECT_EQ(error_of(forge(header("None"), payload_json(), key_)), JwtError::unsupported_alg);
}

TEST_F(Jwt, RejectsHs256WithPublicKeyAsSecret) {
  const std::string input =
      base64url_encode(header("HS256")) + '.' + base64url_encode(payload_json());
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state,
                              reinterpret_cast<const unsigned char*>(key_.public_key.data()),
                              key_.public_key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  const std::string token =
      input + '.' + base64url_encode(std::string(reinterpret_cast<char*>(mac.data()), mac.size()));
  EXPECT_EQ(error_of(token), JwtError::unsupported_alg);
}

TEST_F(Jwt, RejectsOtherAndMissingAlgorithms) {
  EXPECT_EQ(error_of(forge(header("ES256"), payload_json(), key_)), JwtError::unsupported_alg);
  EXPECT_EQ(error_of(forge(header("eddsa"), payload_json(), key_)), JwtError::unsupported_alg);
  EXPECT_EQ(error_of(forge(R"({"typ":"JWT","kid":"k1"})", payload_json(), key_)),
            JwtError::unsupported_alg);
  EXPECT_EQ(error_of(forge(R"({"alg":["EdDSA"],"kid":"k1"})", payload_json(), key_)),
            JwtError::unsupported_alg);
}

TEST_F(Jwt, RejectsCritHeader) {
  EXPECT_EQ(error_of(forge(R"({"alg":"EdDSA","kid":"k1","crit":["exp"]})", payload_json(), key_)),
            JwtError::malformed);
}

TEST_F(Jwt, RejectsTamperedPayload) {
  const std::string token = sign_jwt(claims(), key_);
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  std::string payload = *core::base64url_decode(token.substr(first + 1, second - first - 1));
  payload.replace(payload.find("\"user\""), 6, "\"admin\"");
  const std::string tampered =
      token.substr(0, first + 1) + base64url_encode(payload) + token.substr(second);
  EXPECT_EQ(error_of(tampered), JwtError::bad_signature);
}

TEST_F(Jwt, RejectsTamperedOrTruncatedSignature) {
  std::string token = sign_jwt(claims(), key_);
  std::string flipped = token;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(flipped), JwtError::bad_signature);
  const std::string input = token.substr(0, token.rfind('.'));
  EXPECT_EQ(error_of(input + '.' + base64url_encode(std::string(63, 'x'))),
            JwtError::bad_signature);
  EXPECT_EQ(error_of(input + '.' + base64url_encode(std::string(65, 'x'))),
            JwtError::bad_signature);
}

TEST_F(Jwt, RejectsSignatureFromAnotherKey) {
  // Claims to be k1 but is signed by k2.
  EXPECT_EQ(error_of(forge(header(), payload_json(), other_)), JwtError::bad_signature);
  // Signed by a key the verifier does not know.
  EXPECT_EQ(error_of(sign_jwt(claims(), other_)), JwtError::unknown_key);
}

TEST_F(Jwt, MissingKidNeedsExactlyOneKey) {
  const std::string token = forge(R"({"alg":"EdDSA","typ":"JWT"})", payload_json(), key_);
  EXPECT_TRUE(verifier().verify(token, kNow).ok());
  const JwtVerifier two({{key_.kid, public_of(key_)}, {other_.kid, public_of(other_)}},
                        VerifyPolicy{"ordo", "ordo-api"});
  EXPECT_EQ(two.verify(token, kNow).error, JwtError::unknown_key);
  EXPECT_TRUE(two.verify(sign_jwt(claims(), other_), kNow).ok());
  EXPECT_EQ(error_of(forge(R"({"alg":"EdDSA","kid":7})", payload_json(), key_)),
            JwtError::malformed);
}

TEST_F(Jwt, ExpiryHonoursLeeway) {
  const std::string token = sign_jwt(claims(), key_);
  EXPECT_TRUE(verifier().verify(token, kNow + 900 + 29).ok());
  EXPECT_EQ(error_of(token, kNow + 900 + 30), JwtError::expired);
  EXPECT_EQ(error_of(token, kNow + 100'000), JwtError::expired);
}

// The verified-token cache answers a repeated token without re-verifying, but never past its time.
TEST_F(Jwt, CachedTokensStillExpireAndTamperedOnesMiss) {
  const JwtVerifier shared = verifier();
  const std::string token = sign_jwt(claims(), key_);
  ASSERT_TRUE(shared.verify(token, kNow).ok());
  ASSERT_TRUE(shared.verify(token, kNow + 10).ok());  // from the cache
  EXPECT_EQ(shared.verify(token, kNow + 900 + 30).error, JwtError::expired);
  std::string tampered = token;
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(shared.verify(tampered, kNow).error, JwtError::bad_signature);
  Claims early = claims();
  early.nbf = kNow + 600;
  const std::string later = sign_jwt(early, key_);
  ASSERT_TRUE(shared.verify(later, kNow + 600).ok());                    // cached once valid ...
  EXPECT_EQ(shared.verify(later, kNow).error, JwtError::not_yet_valid);  // ... still checked
}

TEST_F(Jwt, RejectsTokensNotYetValid) {
  Claims c = claims();
  c.nbf = kNow + 600;
  EXPECT_EQ(error_of(sign_jwt(c, key_)), JwtError::not_yet_valid);
  EXPECT_TRUE(verifier().verify(sign_jwt(c, key_), kNow + 600).ok());
  c = claims();
  c.iat = kNow + 31;
  EXPECT_EQ(error_of(sign_jwt(c, key_)), JwtError::not_yet_valid);
  c.iat = kNow + 30;
  EXPECT_TRUE(verifier().verify(sign_jwt(c, key_), kNow).ok());
}

TEST_F(Jwt, RejectsWrongIssuerAndAudience) {
  Claims c = claims();
  c.iss = "someone-else";
  EXPECT_EQ(error_of(sign_jwt(c, key_)), JwtError::wrong_issuer);
  c = claims();
  c.iss.clear();
  EXPECT_EQ(error_of(sign_jwt(c, key_)), JwtError::wrong_issuer);
  c = claims();
  c.aud = "another-api";
  EXPECT_EQ(error_of(sign_jwt(c, key_)), JwtError::wrong_audience);
  c.aud.clear();
  EXPECT_EQ(error_of(sign_jwt(c, key_)), JwtError::wrong_audience);
}

TEST_F(Jwt, AcceptsAudienceArrayContainingOurs) {
  const std::string base =
      R"({"sub":"u-1","role":"user","jti":"j-1","sid":"s-1","ver":1,"iss":"ordo",)"
      R"("iat":1700000000,"exp":1700000900,"aud":)";
  const VerifyResult ok =
      verifier().verify(forge(header(), base + R"(["x","ordo-api"]})", key_), kNow);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.claims->aud, "ordo-api");
  EXPECT_EQ(error_of(forge(header(), base + R"(["x","y"]})", key_)), JwtError::wrong_audience);
  EXPECT_EQ(error_of(forge(header(), base + R"([]})", key_)), JwtError::wrong_audience);
  EXPECT_EQ(error_of(forge(header(), base + R"(["ordo-api",1]})", key_)), JwtError::malformed);
  EXPECT_EQ(error_of(forge(header(), base + R"(7})", key_)), JwtError::malformed);
}

TEST_F(Jwt, PolicyWithoutIssuerOrAudienceSkipsThoseChecks) {
  const JwtVerifier lax({{key_.kid, public_of(key_)}}, VerifyPolicy{});
  Claims c = claims();
  c.iss.clear();
  c.aud.clear();
  EXPECT_TRUE(lax.verify(sign_jwt(c, key_), kNow).ok());
}

TEST_F(Jwt, RejectsMalformedTokens) {
  const std::string good = sign_jwt(claims(), key_);
  const std::string h = base64url_encode(header());
  const std::string p = base64url_encode(payload_json());
  const std::string s = good.substr(good.rfind('.') + 1);
  for (const std::string& token : {
           std::string(""),
           std::string("."),
           std::string(".."),
           h + '.' + p,
           h + '.' + p + '.' + s + '.' + s,
           h + ".." + s,
           '.' + p + '.' + s,
           h + '.' + p + ".!!!",
           h + "=." + p + '.' + s,
           h + '.' + p + '.' + s + "=",
           h + '.' + p + " ." + s,
           good + ' ',
           std::string(10'000, 'A') + '.' + p + '.' + s,
       }) {
    EXPECT_EQ(error_of(token), JwtError::malformed) << token;
  }
}

TEST_F(Jwt, RejectsHeadersThatAreNotJsonObjects) {
  EXPECT_EQ(error_of(forge("not json", payload_json(), key_)), JwtError::malformed);
  EXPECT_EQ(error_of(forge(R"(["alg","EdDSA"])", payload_json(), key_)), JwtError::malformed);
  EXPECT_EQ(error_of(forge(R"({"alg":"EdDSA","kid":"k1",})", payload_json(), key_)),
            JwtError::malformed);
  EXPECT_EQ(error_of(forge("\"EdDSA\"", payload_json(), key_)), JwtError::malformed);
}

TEST_F(Jwt, RejectsPayloadsWithMissingOrMistypedClaims) {
  for (
      const std::string& payload : {
          std::string("[]"),
          std::string("not json"),
          std::string(
              R"({"role":"user","jti":"j","sid":"s","ver":1,"iat":1700000000,"exp":1700000900})"),
          std::string(
              R"({"sub":"","role":"user","jti":"j","sid":"s","ver":1,"iat":1700000000,"exp":1700000900})"),
          std::string(
              R"({"sub":"u","jti":"j","sid":"s","ver":1,"iat":1700000000,"exp":1700000900})"),
          std::string(R"({"sub":"u","role":"user","iat":1700000000,"exp":1700000900})"),
          // The session and the token version are required: without them a token could not
          // be revoked.
          std::string(R"({"sub":"u","role":"user","jti":"j","ver":1,"iat":1,"exp":1700000900})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":"","ver":1,"iat":1,"exp":2})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":"s","iat":1,"exp":1700000900})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":-1,"iat":1,"exp":2})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":"1","iat":1,"exp":2})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":7,"ver":1,"iat":1,"exp":2})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"exp":1700000900})"),
          std::string(R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"iat":1700000000})"),
          std::string(
              R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"iat":1700000000,"exp":"1700000900"})"),
          std::string(
              R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"iat":1700000000,"exp":1.7e9})"),
          std::string(
              R"({"sub":5,"role":"user","jti":"j","sid":"s","ver":1,"iat":1700000000,"exp":1700000900})"),
          payload_json(R"(,"nbf":"soon")"),
          payload_json(R"(,"nbf":null)"),
          std::string(
              R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"iss":1,"aud":"ordo-api",)"
              R"("iat":1700000000,"exp":1700000900})"),
      }) {
    EXPECT_EQ(error_of(forge(header(), payload, key_)), JwtError::malformed) << payload;
  }
}

TEST_F(Jwt, HugeExpDoesNotOverflow) {
  EXPECT_TRUE(
      verifier()
          .verify(
              forge(
                  header(),
                  R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"iss":"ordo","aud":"ordo-api",)"
                  R"("iat":1700000000,"exp":9223372036854775807})",
                  key_),
              kNow)
          .ok());
  EXPECT_EQ(
      error_of(forge(
          header(),
          R"({"sub":"u","role":"user","jti":"j","sid":"s","ver":1,"iss":"ordo","aud":"ordo-api",)"
          R"("iat":1700000000,"exp":18446744073709551615})",
          key_)),
      JwtError::malformed);
}

TEST_F(Jwt, ErrorNamesAreStable) {
  EXPECT_EQ(to_string(JwtError::malformed), "malformed");
  EXPECT_EQ(to_string(JwtError::unsupported_alg), "unsupported_alg");
  EXPECT_EQ(to_string(JwtError::bad_signature), "bad_signature");
  EXPECT_EQ(to_string(JwtError::wrong_audience), "wrong_audience");
}

TEST_F(Jwt, JwksRoundTrips) {
  const std::map<std::string, VerificationKey> keys{{key_.kid, public_of(key_)},
                                                    {other_.kid, public_of(other_)}};
  const boost::json::value document = jwks(keys);
  const auto& first = document.at("keys").at(0);
  EXPECT_EQ(first.at("kty"), "OKP");
  EXPECT_EQ(first.at("crv"), "Ed25519");
  EXPECT_EQ(first.at("alg"), "EdDSA");
  EXPECT_EQ(first.at("use"), "sig");
  const auto parsed = parse_jwks(boost::json::parse(boost::json::serialize(document)));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed.at("k1").public_key, key_.public_key);
  EXPECT_EQ(parsed.at("k2").public_key, other_.public_key);
  // Keys published in a JWKS verify tokens.
  EXPECT_TRUE(JwtVerifier(parsed, VerifyPolicy{"ordo", "ordo-api"})
                  .verify(sign_jwt(claims(), other_), kNow)
                  .ok());
}

TEST_F(Jwt, ParseJwksSkipsForeignAndMalformedEntries) {
  const std::string x = base64url_encode(key_.public_key);
  const auto parsed = parse_jwks(boost::json::parse(R"({"keys":[
    {"kty":"EC","crv":"P-256","x":"abc","y":"def","kid":"ec"},
    {"kty":"OKP","crv":"X25519","x":")" + x + R"(","kid":"x25519"},
    {"kty":"OKP","crv":"Ed25519","x":"short","kid":"short"},
    {"kty":"OKP","crv":"Ed25519","x":")" + x + R"(=","kid":"padded"},
    {"kty":"OKP","crv":"Ed25519","x":")" + x + R"("},
    {"kty":"OKP","crv":"Ed25519","x":")" + x + R"(","kid":"enc","use":"enc"},
    {"kty":"OKP","crv":"Ed25519","x":")" + x + R"(","kid":"es","alg":"ES256"},
    "junk", 42,
    {"kty":"OKP","crv":"Ed25519","x":")" + x + R"(","kid":"good"}
  ]})"));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed.at("good").public_key, key_.public_key);
  EXPECT_TRUE(parse_jwks(boost::json::parse("[]")).empty());
  EXPECT_TRUE(parse_jwks(boost::json::parse(R"({"keys":{}})")).empty());
}

}  // namespace
}  // namespace ordo::auth
