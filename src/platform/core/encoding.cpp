#include "platform/core/encoding.hpp"

#include <sodium.h>

#include "platform/core/sodium.hpp"

namespace ordo::core {
namespace {
constexpr int kUrlVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
}  // namespace

std::string base64url_encode(std::string_view bytes) {
  ensure_sodium();
  // The encoded length libsodium reports includes the terminating NUL.
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kUrlVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), kUrlVariant);
  out.resize(out.size() - 1);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  ensure_sodium();
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), kVariant);
  out.resize(out.size() - 1);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  ensure_sodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t written = 0;
  // No ignore set and no end pointer: libsodium then fails on any character outside the URL-safe
  // alphabet ('=' and whitespace included) and on non-zero leftover bits, which is the strictness
  // a token parser needs.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, nullptr, kUrlVariant) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

std::string hex_encode(std::string_view bytes) {
  ensure_sodium();
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes_of(bytes), bytes.size());
  out.resize(out.size() - 1);
  return out;
}

std::string sha256(std::string_view bytes) {
  ensure_sodium();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes), bytes.size());
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80)
      ++count;
  }
  return count;
}

}  // namespace ordo::core
