#include <string>

#include <gtest/gtest.h>

#include "platform/core/encoding.hpp"

namespace ordo::core {
namespace {
using namespace std::string_literals;

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  // The URL-safe alphabet: '-' and '_' rather than '+' and '/'.
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(Base64Url, RoundTripsAllByteValuesAndLengths) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  for (std::size_t n = 0; n <= bytes.size(); n += 7) {
    const std::string slice = bytes.substr(0, n);
    EXPECT_EQ(base64url_decode(base64url_encode(slice)), slice) << n;
  }
  EXPECT_EQ(base64url_decode("AA"), "\0"s);
}

TEST(Base64Url, RejectsAnythingNotStrictlyEncoded) {
  EXPECT_EQ(base64url_decode(""), "");
  for (const std::string& text : {
           "Zg=="s,    // padding
           "Zm8="s,    // padding
           "Zm9v "s,   // trailing whitespace
           " Zm9v"s,   // leading whitespace
           "Zm\n9v"s,  // embedded newline
           "+/+/"s,    // standard alphabet
           "Zm9v!"s,   // invalid char
           "Z"s,       // impossible length
           "Zh"s,      // non-zero leftover bits (non-canonical)
           "Zm9\0v"s,  // embedded NUL
       }) {
    EXPECT_EQ(base64url_decode(text), std::nullopt) << text;
  }
}

TEST(Hex, EncodesLowerCase) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode("\x00\x01\xab\xff"s), "0001abff");
}

TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(hex_encode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(CoreBase64, StandardAlphabetWithPadding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
}

}  // namespace
}  // namespace ordo::core
