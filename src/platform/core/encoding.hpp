// Base64url (RFC 4648 section 5, no padding), base64 and hex, on libsodium's constant-time codecs;
// SHA-256, HTML escaping and UTF-8 length.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ordo::core {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);  // nullopt when malformed
// Base64 with '+', '/' and padding (RFC 4648 section 4), for the headers that want it (CSP hashes).
std::string base64_encode(std::string_view bytes);
std::string hex_encode(std::string_view bytes);
std::string sha256(std::string_view bytes);  // raw 32 bytes
// "&<>\"'" as entities, so a value put into HTML or SVG text or attributes never becomes markup.
std::string html_escape(std::string_view text);
// Unicode code points of UTF-8 text (continuation bytes not counted): limits on what people type
// are in characters, so 100 accented letters fit a limit of 100.
std::size_t utf8_length(std::string_view text);

}  // namespace ordo::core
