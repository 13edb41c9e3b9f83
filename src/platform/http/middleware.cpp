#include "platform/http/middleware.hpp"

#include <chrono>

#include "platform/core/ids.hpp"
#include "platform/http/log_context.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"

namespace ordo::http {
namespace {

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

// Client-chosen ids end up in logs: keep them short and free of anything that could forge a line.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok)
      return false;
  }
  return true;
}

}  // namespace

bool valid_traceparent(std::string_view value) {
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-')
    return false;
  auto version = value.substr(0, 2);
  auto trace_id = value.substr(3, 32);
  auto parent_id = value.substr(36, 16);
  auto flags = value.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff" || !is_lower_hex(trace_id) ||
      !is_lower_hex(parent_id) || !is_lower_hex(flags)) {
    return false;
  }
  return trace_id.find_first_not_of('0') != std::string_view::npos &&
         parent_id.find_first_not_of('0') != std::string_view::npos;
}

std::string new_traceparent() {
  std::string out;
  out.reserve(55);
  out.append("00-").append(core::random_id_hex(16)).append("-");
  out.append(core::random_id_hex(8)).append("-01");
  return out;
}

std::string child_traceparent(std::string_view parent) {
  if (!valid_traceparent(parent))
    return new_traceparent();
  std::string out;
  out.reserve(55);
  out.append(parent.substr(0, 36)).append(core::random_id_hex(8)).append(parent.substr(52));
  return out;
}

Middleware security_headers() {
  return [](Request& request, const Handler& next) -> boost::asio::awaitable<Response> {
    bool credentials = request.headers.has("Authorization");
    Response response = co_await next(request);
    response.headers.set("X-Content-Type-Options", "nosniff");
    if (credentials || request.context.principal)
      response.headers.set("Cache-Control", "no-store");
    co_return response;
  };
}

Middleware request_context() {
  return [](Request& request, const Handler& next) -> boost::asio::awaitable<Response> {
    auto& context = request.context;
    auto incoming_id = request.headers.get("X-Request-Id");
    context.request_id = incoming_id && acceptable_request_id(*incoming_id)
                             ? std::string(*incoming_id)
                             : core::uuid_v7();
    auto incoming_trace = request.headers.get("traceparent");
    context.traceparent = incoming_trace && valid_traceparent(*incoming_trace)
                              ? std::string(*incoming_trace)
                              : new_traceparent();
    context.trace_id = context.traceparent.substr(3, 32);
    Response response = co_await next(request);
    response.headers.set("X-Request-Id", context.request_id);
    response.headers.set("traceparent", context.traceparent);
    co_return response;
  };
}

Middleware access_log(std::string service) {
  return [service](Request& request, const Handler& next) -> boost::asio::awaitable<Response> {
    auto started = std::chrono::steady_clock::now();
    Response response = co_await next(request);
    // The gateway checks every instance every second: passing checks would drown the log.
    bool routine_check =
        response.status == 200 && request.headers.get_or("User-Agent", "") == "ordo-gateway-health";
    if (log::enabled(log::Level::info) && !routine_check) {
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
      boost::json::object fields{{"method", request.method},
                                 {"path", request.path},
                                 {"status", response.status},
                                 {"durationMs", static_cast<double>(micros) / 1000.0},
                                 {"responseBytes", response.body.size()},
                                 {"client", request.remote_address}};
      if (request.context.principal)
        fields["userId"] = request.context.principal->user_id;
      log::write(log::Level::info, service, "request", fields, http::log_context(request));
    }
    co_return response;
  };
}

Middleware error_boundary(std::string service) {
  return [service](Request& request, const Handler& next) -> boost::asio::awaitable<Response> {
    std::optional<errors::Problem> problem;
    try {
      co_return co_await next(request);
    } catch (const errors::ProblemException& e) {
      problem = e.problem();
    } catch (const std::exception& e) {
      log::error(service, "unhandled error", {{"error", e.what()}, {"path", request.path}},
                 http::log_context(request));
      problem = errors::internal_error("an unexpected error occurred; the request id is " +
                                       request.context.request_id);
    }
    co_return errors::to_response(*problem);
  };
}

const Principal& require_user(const Request& request) {
  if (!request.context.principal && request.context.credentials_unverifiable) {
    auto problem = errors::service_unavailable(
        "the token cannot be checked yet: this instance has no verification keys");
    problem.extensions["retryAfter"] = 1;
    errors::raise(std::move(problem));
  }
  if (!request.context.principal) {
    const auto& why = request.context.credential_error;
    errors::raise(errors::unauthorized(why.empty() ? "a bearer token is required"
                                                   : "the bearer token was refused: " + why));
  }
  return *request.context.principal;
}

const Principal& require_admin(const Request& request) {
  const auto& principal = require_user(request);
  if (!principal.is_admin())
    errors::raise(errors::forbidden("this requires the admin role"));
  return principal;
}

}  // namespace ordo::http
