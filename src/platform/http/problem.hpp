// RFC 9457 problem details: the one shape every error takes, with per-field validation errors.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "platform/core/field_error.hpp"
#include "platform/http/message.hpp"

namespace ordo::errors {

using FieldError = core::FieldError;

struct Problem {
  int status = 500;
  std::string type;  // a short slug; rendered as "https://ordo.dev/problems/<slug>"
  std::string title;
  std::string detail;
  std::vector<FieldError> errors;
  boost::json::object extensions;  // extra members (e.g. "retryAfter", "available")
};

// Thrown by handlers and caught by the error middleware, which renders it.
class ProblemException : public std::exception {
 public:
  explicit ProblemException(Problem problem) : problem_(std::move(problem)) {}
  const Problem& problem() const { return problem_; }
  const char* what() const noexcept override { return problem_.title.c_str(); }

 private:
  Problem problem_;
};

http::Response to_response(const Problem& problem);
boost::json::object to_json(const Problem& problem);

// Builders for the statuses of API.md; each returns a Problem to throw or render.
Problem bad_request(std::string detail, std::vector<FieldError> errors = {});
Problem validation_failed(std::vector<FieldError> errors);  // 400 with "validation-failed"
Problem unauthorized(std::string detail);
Problem forbidden(std::string detail);
Problem not_found(std::string detail);
Problem method_not_allowed(std::string detail);
Problem conflict(std::string detail);
Problem precondition_failed(std::string detail);
Problem precondition_required(std::string detail);  // 428: If-Match is missing
Problem payload_too_large(std::string detail);
Problem unsupported_media_type(std::string detail);
Problem unprocessable(std::string detail);
Problem too_many_requests(std::string detail, int retry_after_seconds);
Problem internal_error(std::string detail);
Problem bad_gateway(std::string detail);
Problem service_unavailable(std::string detail);
Problem gateway_timeout(std::string detail);

[[noreturn]] inline void raise(Problem problem) {
  throw ProblemException(std::move(problem));
}

}  // namespace ordo::errors
