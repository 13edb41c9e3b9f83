// Rendering of RFC 9457 problem details and the builders for every status the API uses.
#include "platform/http/problem.hpp"

#include <string_view>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace ordo::errors {
namespace {

constexpr std::string_view kTypeBase = "https://ordo.dev/problems/";

Problem make(int status, std::string slug, std::string title, std::string detail) {
  Problem problem;
  problem.status = status;
  problem.type = std::move(slug);
  problem.title = std::move(title);
  problem.detail = std::move(detail);
  return problem;
}

std::string type_uri(const std::string& slug) {
  if (slug.empty()) {
    return "about:blank";  // RFC 9457 4.2.1: the type when nothing more specific applies
  }
  if (slug.starts_with("http://") || slug.starts_with("https://")) {
    return slug;  // already a full URI: callers may point at someone else's problem types
  }
  return std::string(kTypeBase) + slug;
}

}  // namespace

boost::json::object to_json(const Problem& problem) {
  boost::json::object out;
  // Extensions go in first so that the standard members always win on a name clash.
  for (const auto& [key, value] : problem.extensions) {
    out[key] = value;
  }
  out["type"] = type_uri(problem.type);
  out["title"] = problem.title;
  out["status"] = problem.status;
  if (!problem.detail.empty()) {
    out["detail"] = problem.detail;
  }
  if (!problem.errors.empty()) {
    boost::json::array errors;
    errors.reserve(problem.errors.size());
    for (const auto& error : problem.errors) {
      errors.push_back(boost::json::object{{"field", error.field}, {"message", error.message}});
    }
    out["errors"] = std::move(errors);
  } else {
    out.erase("errors");
  }
  return out;
}

http::Response to_response(const Problem& problem) {
  http::Response response;
  response.status = problem.status;
  response.headers.set("Content-Type", "application/problem+json");
  response.body = boost::json::serialize(to_json(problem));
  if (problem.status == 429 || problem.status == 503) {
    if (auto it = problem.extensions.find("retryAfter"); it != problem.extensions.end()) {
      if (it->value().is_int64()) {
        response.headers.set("Retry-After", std::to_string(it->value().as_int64()));
      } else if (it->value().is_uint64()) {
        response.headers.set("Retry-After", std::to_string(it->value().as_uint64()));
      }
    }
  }
  return response;
}

Problem bad_request(std::string detail, std::vector<FieldError> errors) {
  Problem problem = make(400, "bad-request", "Bad Request", std::move(detail));
  problem.errors = std::move(errors);
  return problem;
}

Problem validation_failed(std::vector<FieldError> errors) {
  Problem problem =
      make(400, "validation-failed", "Validation Failed", "The request has invalid fields.");
  problem.errors = std::move(errors);
  return problem;
}

Problem unauthorized(std::string detail) {
  return make(401, "unauthorized", "Unauthorized", std::move(detail));
}

Problem forbidden(std::string detail) {
  return make(403, "forbidden", "Forbidden", std::move(detail));
}

Problem not_found(std::string detail) {
  return make(404, "not-found", "Not Found", std::move(detail));
}

Problem method_not_allowed(std::string detail) {
  return make(405, "method-not-allowed", "Method Not Allowed", std::move(detail));
}

Problem conflict(std::string detail) {
  return make(409, "conflict", "Conflict", std::move(detail));
}

Problem precondition_failed(std::string detail) {
  return make(412, "precondition-failed", "Precondition Failed", std::move(detail));
}

Problem precondition_required(std::string detail) {
  return make(428, "precondition-required", "Precondition Required", std::move(detail));
}

Problem payload_too_large(std::string detail) {
  return make(413, "payload-too-large", "Payload Too Large", std::move(detail));
}

Problem unsupported_media_type(std::string detail) {
  return make(415, "unsupported-media-type", "Unsupported Media Type", std::move(detail));
}

Problem unprocessable(std::string detail) {
  return make(422, "unprocessable", "Unprocessable Content", std::move(detail));
}

Problem too_many_requests(std::string detail, int retry_after_seconds) {
  Problem problem = make(429, "too-many-requests", "Too Many Requests", std::move(detail));
  problem.extensions["retryAfter"] = retry_after_seconds;
  return problem;
}

Problem internal_error(std::string detail) {
  return make(500, "internal-error", "Internal Server Error", std::move(detail));
}

Problem bad_gateway(std::string detail) {
  return make(502, "bad-gateway", "Bad Gateway", std::move(detail));
}

Problem service_unavailable(std::string detail) {
  return make(503, "service-unavailable", "Service Unavailable", std::move(detail));
}

Problem gateway_timeout(std::string detail) {
  return make(504, "gateway-timeout", "Gateway Timeout", std::move(detail));
}

}  // namespace ordo::errors
