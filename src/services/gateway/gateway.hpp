// The gateway: the one entry point, registered like every service (api.cpp). Routes the API's
// paths to their services over HTTP, verifies tokens, rate-limits, answers CORS, and maps
// upstream failures to problem+json. Here: the documents it serves.
#pragma once

#include <string>
#include <string_view>

namespace ordo::services::gateway {

// The OpenAPI 3.1 description of the whole public API (docs/openapi.json, embedded at build).
std::string_view openapi_document();
// The small built-in documentation page /docs falls back to when the web build (which vendors
// the Swagger UI explorer, web/explorer) is absent; it reads /openapi.json.
std::string_view docs_page();
// Its Content-Security-Policy: only its own inline script and style (by hash), requests to
// this origin, no frames.
const std::string& docs_page_security_policy();

}  // namespace ordo::services::gateway
