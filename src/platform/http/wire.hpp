// Message heads written by the server and the client (HTTP/1.1 on the wire, without Beast).
//
// Why not Beast's serializer: writing our messages through Beast's fields and buffer views was,
// under callgrind, about a fifth of a proxied request's instructions; these functions produce
// the same bytes with one allocation. Parsing stays with Beast (parsers.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/http/client.hpp"
#include "platform/http/message.hpp"

namespace ordo::http::wire {

// ASCII case-insensitive equality (field names); whether text holds a CR or LF.
bool has_line_break(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// The status line, the response's fields (minus framing ones and any with a line break),
// Content-Length unless the status has no body, Connection as keep_alive requires for this
// version, and the blank line. The body, when it is sent, goes out after it unchanged.
// length: the Content-Length to announce instead of the body's size (a HEAD answer relayed
// without its body).
std::string response_head(const Response& response, unsigned version, bool keep_alive,
                          std::optional<std::uint64_t> length = std::nullopt);
// The head of a streamed response: as response_head, but "Transfer-Encoding: chunked" (HTTP/1.1;
// HTTP/1.0 is close-delimited) instead of Content-Length, and always "Connection: close".
std::string stream_response_head(const Response& response, unsigned version);
// One chunk of a chunked body (size in hex, CRLF, the bytes, CRLF); the last chunk is "0\r\n\r\n".
std::string chunk(std::string_view bytes);
// Whether a response with this status carries a body (and a Content-Length).
bool status_has_body(int status);

// The request line, the request's fields minus hop-by-hop ones, Host (the authority) unless
// the request has one, Content-Length when a body is sent, and the blank line. A caller's
// "Connection: close" is kept (as exactly that): it asks for a connection of its own.
std::string request_head(const OutgoingRequest& request, std::string_view authority,
                         bool sends_body);
// True when the request's Connection field holds the token "close".
bool asks_to_close(const OutgoingRequest& request);
bool request_sends_body(const OutgoingRequest& request);

}  // namespace ordo::http::wire
