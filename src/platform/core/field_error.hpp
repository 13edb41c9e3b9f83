// A bad field of some input, named the way the client wrote it, and the exception a domain rule
// throws with every bad field at once. Plain data: a domain reports what is wrong without knowing
// how that is answered (the service's api turns it into one 400 problem, http/problem.hpp).
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace ordo::core {

struct FieldError {
  std::string field;    // JSON pointer-ish name of the bad field: "email", "items[2].quantity"
  std::string message;  // what is wrong, for a human
};

class InvalidInput : public std::exception {
 public:
  explicit InvalidInput(std::vector<FieldError> errors) : errors_(std::move(errors)) {}
  const std::vector<FieldError>& errors() const { return errors_; }
  const char* what() const noexcept override { return "invalid input"; }

 private:
  std::vector<FieldError> errors_;
};

}  // namespace ordo::core
