// The gateway: the one entry point. Routes API.md's paths to their services over HTTP, verifies
// tokens, rate-limits, answers CORS, and maps upstream failures to problem+json.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "platform/auth/token_verifier.hpp"
#include "platform/config/config.hpp"
#include "platform/core/name_lookup.hpp"
#include "platform/http/router.hpp"
#include "platform/metrics/metrics.hpp"

namespace ordo::services::gateway {

struct GatewayResources {
  const config::Config& config;
  // The event loops the gateway's server runs on (each an io_context of one thread; at least
  // one). Its handlers run on any of them: what they share is guarded (see proxy.hpp).
  std::vector<boost::asio::any_io_executor> loops;
  const auth::TokenVerifier& verifier;         // the users service's JWKS
  std::set<std::string> implemented_services;  // others answer 503 until they are built
  metrics::Registry* metrics = nullptr;        // gets a gauge of up instances per service
  core::NameLookup lookup{};  // resolves upstream host names (empty: the system's resolver)
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  virtual void add_routes(http::Router& router) = 0;
  virtual std::vector<http::Middleware> middleware() = 0;  // after the host's common ones
};

std::unique_ptr<Gateway> make_gateway(GatewayResources resources);

// The OpenAPI 3.1 description of the whole public API (docs/openapi.json, embedded at build).
std::string_view openapi_document();
// The small built-in documentation page /docs falls back to when the web build (which vendors
// the Swagger UI explorer, web/explorer) is absent; it reads /openapi.json.
std::string_view docs_page();
// Its Content-Security-Policy: only its own inline script and style (by hash), requests to
// this origin, no frames.
const std::string& docs_page_security_policy();

}  // namespace ordo::services::gateway
