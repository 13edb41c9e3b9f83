// Response compression (gzip, RFC 9110 8.4): what a client accepts, what is worth compressing,
// and the middleware every server (each service and the gateway) stacks outermost.
//
// A compressed body is another representation, so it gets another entity tag: "x" becomes
// "x-gzip" (W/"x" becomes W/"x-gzip"). Handlers only know their identity tags, so the middleware
// turns "-gzip" tags in If-Match / If-None-Match back into those before the handler sees them,
// and gives a 304 the tag the client asked about.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "platform/http/router.hpp"

namespace ordo::http {

// Whether Accept-Encoding lets us send gzip: "gzip" (or "x-gzip") or else "*" with a q above 0.
// No header: no compression (RFC 9110 allows any coding then, but old clients send none).
bool accepts_gzip(std::string_view accept_encoding);

// JSON (application/json, application/problem+json, any +json), text/* but event streams,
// JavaScript, SVG and XML. Parameters (charset) are ignored.
bool is_compressible_type(std::string_view content_type);

// gzip of the bytes (zlib, level 1..9); throws std::runtime_error if zlib fails.
std::string gzip(std::string_view bytes, int level = 6);
// The bytes of a gzip stream; nullopt when it is not one or would exceed max_bytes.
std::optional<std::string> gunzip(std::string_view compressed, std::size_t max_bytes);

// "x" -> "x-gzip", W/"x" -> W/"x-gzip"; anything else (no quotes) is returned as it is.
std::string gzip_entity_tag(std::string_view tag);
// Every "...-gzip" tag of an If-Match / If-None-Match list back to its identity tag.
std::string identity_entity_tags(std::string_view list);

// Appends a token to Vary unless a Vary field already names it (or is "*").
void add_vary(Headers& headers, std::string_view token);

struct CompressionOptions {
  std::size_t min_bytes = 1024;  // smaller bodies gain too little to be worth the CPU
  int level = 5;                 // zlib's speed/size balance for bodies made per request
};

// Compresses eligible answers for clients that accept gzip and adds Vary: Accept-Encoding to
// every answer whose type could be compressed. Leaves alone: streams (Server-Sent Events), bodies
// already encoded (a proxied answer an upstream compressed), small bodies.
Middleware compress_responses(CompressionOptions options = {});

// For a handler that keeps a compressed copy of a fixed body (web files, the OpenAPI document):
// answers with that copy (and its entity tag, Content-Encoding, Vary) when the client accepts
// gzip, so the middleware has nothing left to do. `response` must already carry the identity body.
void use_precompressed(Response& response, const Request& request, const std::string& gzipped);

}  // namespace ordo::http
