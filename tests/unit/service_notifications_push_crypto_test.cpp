// Web Push encryption (RFC 8291) against the RFC's own example, and against an independent
// decryptor (tests/support/web_push_client.hpp); VAPID tokens (RFC 8292) verified with the public
// key through OpenSSL.
#include <gtest/gtest.h>

#include <ctime>

#include "../support/web_push_client.hpp"
#include "platform/auth/p256.hpp"
#include "platform/core/encoding.hpp"
#include "services/notifications/web_push_crypto.hpp"

namespace ordo::services::notifications {
namespace {

std::string decoded(std::string_view text) {
  auto bytes = core::base64url_decode(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or("");
}

// RFC 8291 Appendix A: the sender's ephemeral key, the salt, the receiver's key and auth secret,
// and the message body the example arrives at.
TEST(WebPushCrypto, ReproducesTheRfc8291Example) {
  auto sender =
      auth::P256Key::from_private_scalar(decoded("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"));
  ASSERT_TRUE(sender.has_value());
  EXPECT_EQ(
      core::base64url_encode(sender->public_point()),
      "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8");
  auto body = web_push::encrypt_with("When I grow up, I want to be a watermelon",
                                     decoded("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-"
                                             "AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
                                     decoded("BTBZMqHH6r4Tts7J_aSIgg"), *sender,
                                     decoded("DGv6ra1nlYgDCS1FRnbzlw"));
  EXPECT_EQ(
      core::base64url_encode(body),
      "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInm"
      "YWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQex"
      "SgSxsj_Qulcy4a-fN");
}

TEST(WebPushCrypto, ABrowserDecryptsWhatIsSentAndEachMessageHasItsOwnKeyAndSalt) {
  testing::WebPushClient browser;
  std::string payload = R"({"title":"Order 1 confirmed","body":"é ✓"})";
  auto first = web_push::encrypt(payload, browser.public_point(), browser.auth_secret());
  auto second = web_push::encrypt(payload, browser.public_point(), browser.auth_secret());
  EXPECT_EQ(browser.decrypt(first), payload);
  EXPECT_EQ(browser.decrypt(second), payload);
  EXPECT_NE(first.substr(0, 16), second.substr(0, 16));    // salt
  EXPECT_NE(first.substr(21, 65), second.substr(21, 65));  // ephemeral key
  testing::WebPushClient stranger;
  EXPECT_FALSE(stranger.decrypt(first).has_value());
  auto tampered = first;
  tampered.back() = static_cast<char>(tampered.back() ^ 1);
  EXPECT_FALSE(browser.decrypt(tampered).has_value());
}

TEST(WebPushCrypto, RefusesKeysThatAreNotKeysAndMessagesOverOneRecord) {
  testing::WebPushClient browser;
  auto point = browser.public_point();
  auto off_curve = point;
  off_curve[40] = static_cast<char>(off_curve[40] ^ 1);
  EXPECT_THROW(web_push::encrypt("x", off_curve, browser.auth_secret()), std::invalid_argument);
  EXPECT_THROW(web_push::encrypt("x", point.substr(1), browser.auth_secret()),
               std::invalid_argument);
  EXPECT_THROW(web_push::encrypt("x", point, "short"), std::invalid_argument);
  std::string big(web_push::kMaxPlaintextBytes + 1, 'a');
  EXPECT_THROW(web_push::encrypt(big, point, browser.auth_secret()), std::invalid_argument);
  big.pop_back();
  EXPECT_EQ(browser.decrypt(web_push::encrypt(big, point, browser.auth_secret())), big);
}

TEST(WebPushCrypto, TheAudienceIsTheEndpointsOrigin) {
  EXPECT_EQ(web_push::endpoint_origin("https://fcm.googleapis.com/fcm/send/abc?x=1"),
            "https://fcm.googleapis.com");
  EXPECT_EQ(web_push::endpoint_origin("http://127.0.0.1:8080/push/1"), "http://127.0.0.1:8080");
  EXPECT_EQ(web_push::endpoint_origin("ftp://x/y"), std::nullopt);
  EXPECT_EQ(web_push::endpoint_origin("https:///nohost"), std::nullopt);
}

TEST(WebPushCrypto, TheVapidTokenVerifiesWithItsPublicKey) {
  auto key = auth::P256Key::generate();
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto field =
      web_push::vapid_authorization(key, "https://push.example.net", now + 3600, "mailto:a@b.c");
  EXPECT_EQ(testing::vapid_problem(field, "https://push.example.net", now), "");
  EXPECT_NE(field.find(", k=" + core::base64url_encode(key.public_point())), std::string::npos);
  EXPECT_NE(testing::vapid_problem(field, "https://other.example", now), "");
  EXPECT_NE(testing::vapid_problem(field, "https://push.example.net", now + 7200), "");
  // Signed by one key, presented with another's k=: refused.
  auto other = auth::P256Key::generate();
  auto swapped =
      field.substr(0, field.find(", k=")) + ", k=" + core::base64url_encode(other.public_point());
  EXPECT_EQ(testing::vapid_problem(swapped, "https://push.example.net", now),
            "the signature does not verify with k");
  // The platform's own verifier agrees.
  auto jwt = web_push::vapid_jwt(key, "https://a.example", now + 60, "mailto:a@b.c");
  auto dot = jwt.rfind('.');
  EXPECT_TRUE(key.verify_es256(jwt.substr(0, dot), decoded(jwt.substr(dot + 1))));
  EXPECT_FALSE(other.verify_es256(jwt.substr(0, dot), decoded(jwt.substr(dot + 1))));
}

}  // namespace
}  // namespace ordo::services::notifications
