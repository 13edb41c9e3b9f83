// The gateway's handlers: proxying, token checks, rate limits, CORS, health and readiness.
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "host/registry.hpp"
#include "platform/http/client.hpp"
#include "platform/http/compression.hpp"
#include "platform/http/log_context.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "services/gateway/domain.hpp"
#include "services/gateway/gateway.hpp"
#include "services/gateway/proxy.hpp"
#include "services/gateway/settings.hpp"
#include "services/gateway/web_files.hpp"

namespace ordo::services::gateway {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr std::string_view kService = "gateway";

// Hop-by-hop fields (RFC 9110 7.6.1) and those the gateway sets itself never pass through: a
// client's Ordo-Timeout-Ms is replaced by the gateway's own, and a service's Ordo-Shed is for the
// gateway only.
bool is_hop_by_hop(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "connection",      "keep-alive",          "transfer-encoding", "te",   "trailer",
      "upgrade",         "proxy-authorization", "proxy-connection",  "host", "content-length",
      "x-forwarded-for", "x-request-id",        "traceparent"};
  static constexpr std::string_view kOrdoOwn[] = {"ordo-timeout-ms", "ordo-shed"};
  auto same = [name](std::string_view hop) {
    return name.size() == hop.size() &&
           std::equal(name.begin(), name.end(), hop.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  return std::any_of(std::begin(kNames), std::end(kNames), same) ||
         std::any_of(std::begin(kOrdoOwn), std::end(kOrdoOwn), same);
}

std::optional<std::string_view> bearer_token(const Request& request) {
  auto header = request.headers.get("Authorization");
  if (!header)
    return std::nullopt;
  constexpr std::string_view kPrefix = "Bearer ";
  if (header->size() <= kPrefix.size() ||
      !std::equal(kPrefix.begin(), kPrefix.end(), header->begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      })) {
    return std::string_view{};
  }
  return header->substr(kPrefix.size());
}

class GatewayService final : public host::Service {
 public:
  explicit GatewayService(host::EntryResources& resources)
      : resources_(resources),
        proxy_(resources_.loops, resources_.config, resources_.services, resources_.lookup),
        per_client_(resources_.config.section<Settings>().rate_limit_client_per_s,
                    resources_.config.section<Settings>().rate_limit_client_burst),
        per_user_(resources_.config.section<Settings>().rate_limit_user_per_s,
                  resources_.config.section<Settings>().rate_limit_user_burst),
        web_(load_web_files(resources_.config)) {
    proxy_.start_health_checks();
    proxy_.start_discovery();
    for (const auto& service : resources_.services) {
      resources_.metrics.gauge("ordo_gateway_upstream_instances_up",
                               "Instances of a service the gateway sends to (not ejected).",
                               {{"upstream", service}}, proxy_.up_gauge(service));
    }
  }

  void add_routes(http::Router& router) override {
    for (const auto& entry : route_table()) {
      router.add(entry.method, entry.pattern,
                 [this, &entry](Request& request) { return forward(request, entry); });
    }
    router.get("/health", [](Request&) -> awaitable<Response> {
      co_return Response::json(200, boost::json::object{{"status", "ok"}});
    });
    router.get("/ready", [this](Request& request) { return ready(request); });
    router.get("/openapi.json", [](Request& request) -> awaitable<Response> {
      static const std::string gzipped = http::gzip(openapi_document(), 9);
      auto document = Response::text(200, std::string(openapi_document()), "application/json");
      http::use_precompressed(document, request, gzipped);
      co_return document;
    });
    router.get("/docs", [this](Request& request) { return serve_docs(request); });
    router.get("/docs/{file}", [this](Request& request) {
      auto name = std::string(request.path_param("file"));
      const WebFile* file = is_safe_file_name(name) ? web_.find("docs/" + name) : nullptr;
      return serve_file(request, file);
    });
    add_web_routes(router);
  }

  // Every answer passes the per-client limit, errors included: a flood of 404s, 405s or refused
  // requests costs its sender as much as any other (and CORS headers go on the 429 too).
  std::vector<http::Middleware> middleware() override {
    return {cors(), limit_clients(), answer_preflights()};
  }

  // The process's metrics, every service's series, only when asked for: this port is public.
  bool serves_metrics() const override {
    return resources_.config.section<Settings>().expose_metrics;
  }

 private:
  awaitable<Response> forward(Request& request, const RouteEntry& entry) {
    if (entry.query_token)
      take_query_token(request);
    co_await authenticate(request, entry);
    enforce_user_rate_limit(request);
    if (!resources_.services.contains(entry.service)) {
      errors::raise(
          errors::service_unavailable("the " + entry.service + " service is not available yet"));
    }
    if (!proxy_.has_instances(entry.service)) {
      errors::raise(
          errors::service_unavailable("no instance of " + entry.service + " is configured"));
    }
    http::OutgoingRequest outgoing{request.method, request.target, {}, std::move(request.body)};
    for (const auto& [name, value] : request.headers.fields()) {
      if (!is_hop_by_hop(name))
        outgoing.headers.add(name, value);
    }
    outgoing.headers.set("X-Forwarded-For", request.remote_address);
    outgoing.headers.set("X-Request-Id", request.context.request_id);
    outgoing.headers.set("traceparent", http::child_traceparent(request.context.traceparent));
    auto context = http::log_context(request);
    bool head_request = request.method == "HEAD";
    Response response = co_await proxy_.send(entry.service, std::move(outgoing), context);
    // A HEAD answer has no body to measure: its Content-Length (the GET's) is kept for the server.
    std::optional<std::string> head_length;
    if (auto length = response.headers.get("Content-Length"); head_request && length)
      head_length = std::string(*length);
    response.headers.remove_if(is_hop_by_hop);  // in place: the other fields are not copied
    if (head_length)
      response.headers.set("Content-Length", std::move(*head_length));
    co_return response;
  }

  // On an event stream route, ?access_token= stands for the Authorization header (which a
  // browser's EventSource cannot send) unless that header is there. It never reaches the
  // upstream's target, and no log line holds a query string (the access log writes the path).
  static void take_query_token(Request& request) {
    auto token = request.query.find("access_token");
    if (token == request.query.end())
      return;
    if (!request.headers.has("Authorization"))
      request.headers.set("Authorization", "Bearer " + token->second);
    request.target = without_query_parameter(request.target, "access_token");
    request.query.erase(token);
  }

  // Verifies a presented token on every route (a bad token is refused even where none is
  // needed) and requires one where the route says so.
  awaitable<void> authenticate(Request& request, const RouteEntry& entry) {
    auto token = bearer_token(request);
    if (!token) {
      if (entry.access == Access::token_required) {
        errors::raise(errors::unauthorized("a bearer token is required"));
      }
      co_return;
    }
    if (token->empty())
      errors::raise(errors::unauthorized("the Authorization header must be \"Bearer <token>\""));
    std::string text(*token);
    auto verified = co_await resources_.verifier.verify(std::move(text));
    if (!verified.ok()) {
      errors::raise(errors::unauthorized("the bearer token was refused: " +
                                         std::string(auth::to_string(*verified.error))));
    }
    request.context.principal = http::Principal{verified.claims->sub, verified.claims->role,
                                                verified.claims->jti, verified.claims->sid};
  }

  // The client's limit was taken by limit_clients(); the user's needs the verified token.
  void enforce_user_rate_limit(const Request& request) {
    if (!request.context.principal)
      return;
    auto now = std::chrono::steady_clock::now();
    if (auto wait = per_user_.take(request.context.principal->user_id, now)) {
      errors::raise(errors::too_many_requests("too many requests for this user", *wait));
    }
  }

  http::Middleware limit_clients() {
    return [this](Request& request, const http::Handler& next) -> awaitable<Response> {
      auto wait = per_client_.take(request.remote_address, std::chrono::steady_clock::now());
      if (wait) {
        co_return errors::to_response(
            errors::too_many_requests("too many requests from this address", *wait));
      }
      co_return co_await next(request);
    };
  }

  awaitable<Response> ready(Request& request) {
    auto& client = proxy_.client(co_await boost::asio::this_coro::executor);
    boost::json::object services;
    bool all_ready = true;
    for (const auto& service : resources_.services) {
      bool service_ready = false;
      std::vector<std::string> origins = proxy_.instance_origins(service);
      for (const auto& origin : origins) {
        try {
          http::OutgoingRequest probe{"GET", "/ready", {}, {}};
          probe.headers.set("X-Request-Id", request.context.request_id);
          auto answer =
              co_await client.send(origin, std::move(probe), std::chrono::milliseconds(2'000));
          service_ready = service_ready || answer.status == 200;
        } catch (const http::ClientError&) {
        }
      }
      services[service] = service_ready ? "ready" : "unavailable";
      all_ready = all_ready && service_ready;
    }
    // Without the verification keys every authenticated request would be refused.
    all_ready = all_ready && resources_.verifier.has_keys();
    boost::json::object body{{"status", all_ready ? "ready" : "not ready"}};
    if (resources_.config.section<Settings>().expose_details) {
      body["services"] = std::move(services);
      body["instances"] = proxy_.instance_states();
    }
    co_return Response::json(all_ready ? 200 : 503, body);
  }

  http::Middleware cors() {
    return [this](Request& request, const http::Handler& next) -> awaitable<Response> {
      auto origin = std::string(request.headers.get_or("Origin", ""));
      auto allowed =
          allowed_origin(resources_.config.section<Settings>().cors_allowed_origins, origin);
      bool preflight = is_preflight(request);
      Response response = co_await next(request);
      if (allowed) {
        response.headers.set("Access-Control-Allow-Origin", *allowed);
        response.headers.add("Vary", "Origin");
        response.headers.set(
            "Access-Control-Expose-Headers",
            "X-Request-Id, Retry-After, Location, ETag, Idempotent-Replayed, Link");
        if (preflight) {
          response.headers.set("Access-Control-Allow-Methods",
                               "GET, POST, PUT, PATCH, DELETE, OPTIONS");
          response.headers.set("Access-Control-Allow-Headers",
                               "Authorization, Content-Type, Idempotency-Key, If-Match, "
                               "If-None-Match, Prefer, X-Request-Id, traceparent");
          response.headers.set("Access-Control-Max-Age", "600");
        }
      }
      co_return response;
    };
  }

  // Inside the limit: a preflight is answered here, whatever its path, without routing.
  static http::Middleware answer_preflights() {
    return [](Request& request, const http::Handler& next) -> awaitable<Response> {
      if (is_preflight(request))
        co_return Response::empty(204);
      co_return co_await next(request);
    };
  }

  // The web UI's client routes live after "#" (/#/cart, /admin#/products), so its pages need
  // no fallback route and can never shadow an API path; its files are all under /assets/.
  void add_web_routes(http::Router& router) {
    router.get("/", [this](Request& request) { return serve_web(request, "index.html"); });
    router.get("/admin",
               [this](Request& request) { return serve_web(request, "admin/index.html"); });
    router.get("/favicon.svg",
               [this](Request& request) { return serve_web(request, "favicon.svg"); });
    router.get("/assets/{file}", [this](Request& request) {
      auto name = std::string(request.path_param("file"));
      return serve_web(request, is_safe_file_name(name) ? "assets/" + name : std::string());
    });
  }

  // The explorer the web build vendors (web/explorer: Swagger UI, under the web UI's strict
  // policy, its files at /docs/<file>); without a build, the small built-in page.
  awaitable<Response> serve_docs(Request& request) {
    if (const WebFile* explorer = web_.find("docs/index.html"))
      co_return web_file_response(*explorer, request);
    auto page = Response::text(200, std::string(docs_page()), "text/html; charset=utf-8");
    page.headers.set("Content-Security-Policy", docs_page_security_policy());
    page.headers.set("X-Frame-Options", "DENY");
    co_return page;
  }

  static awaitable<Response> serve_file(Request& request, const WebFile* file) {
    if (file == nullptr)
      co_return errors::to_response(errors::not_found("No resource at " + request.path + "."));
    co_return web_file_response(*file, request);
  }

  awaitable<Response> serve_web(Request& request, std::string name) {
    if (!web_.built() && !name.starts_with("assets/")) {
      co_return errors::to_response(errors::service_unavailable(
          "the web UI was not built: run scripts/up.sh, or npm ci && npm run build in web/"));
    }
    const WebFile* file = name.empty() ? nullptr : web_.find(name);
    if (file == nullptr)
      co_return errors::to_response(errors::not_found("No resource at " + request.path + "."));
    co_return web_file_response(*file, request);
  }

  static WebFiles load_web_files(const config::Config& config) {
    std::error_code error;
    auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
    auto web = WebFiles::load(
        find_web_directory(config.section<Settings>().web_dir, executable, ORDO_WEB_SOURCE_DIST));
    if (web.built()) {
      log::info(kService, "serving the web UI",
                {{"directory", web.directory().string()}, {"files", web.size()}});
    } else {
      log::warn(kService, "the web UI was not built (npm run build in web/): / answers 503",
                {{"directory", web.directory().string()}});
    }
    return web;
  }

  static bool is_preflight(const Request& request) {
    return request.method == "OPTIONS" && request.headers.has("Access-Control-Request-Method");
  }

  host::EntryResources resources_;
  Proxy proxy_;
  RateLimiter per_client_;
  RateLimiter per_user_;
  WebFiles web_;
};

std::size_t event_loops(const config::Config& config) {
  return static_cast<std::size_t>(config.section<Settings>().io_threads);
}

}  // namespace

// No database: it keeps nothing of its own but the configuration.
const auto kRegistration = host::register_service<GatewayService>({.name = "gateway",
                                                                   .port = 3000,
                                                                   .start_order = 100,
                                                                   .settings = settings_section(),
                                                                   .event_loops = &event_loops});

}  // namespace ordo::services::gateway
