// The middleware every Ordo server stacks: request context (ids, trace), access log, error
// boundary (problem+json, never a stack trace), and helpers for handlers that need a caller.
#pragma once

#include <string>

#include "platform/http/router.hpp"

namespace ordo::http {

// X-Content-Type-Options: nosniff on every answer, and Cache-Control: no-store on every answer to
// a request that carried credentials (Authorization): what it shows may be the caller's own.
Middleware security_headers();
// Takes X-Request-Id (when sane) or makes one; takes traceparent (when valid) or starts a trace;
// echoes both on the response.
Middleware request_context();
// One JSON log line per request: method, path, status, duration, bytes, client, user.
Middleware access_log(std::string service);
// Renders ProblemException as problem+json and any other exception as a logged 500.
Middleware error_boundary(std::string service);

// W3C traceparent: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
bool valid_traceparent(std::string_view value);
std::string new_traceparent();
// The same trace with a new span id, for an outgoing hop.
std::string child_traceparent(std::string_view parent);

// For handlers: the authenticated caller, or a 401 / 403 problem.
const Principal& require_user(const Request& request);
const Principal& require_admin(const Request& request);

}  // namespace ordo::http
