// What a request reader refuses: the per-field errors of the 400 problem a call throws. A call
// that throws no problem fails the test.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platform/http/problem.hpp"

namespace ordo::testing {

template <typename Fn>
std::vector<errors::FieldError> problem_errors(Fn fn) {
  try {
    fn();
  } catch (const errors::ProblemException& e) {
    EXPECT_EQ(e.problem().status, 400);
    return e.problem().errors;
  }
  ADD_FAILURE() << "no problem thrown";
  return {};
}

// The names of the bad fields, in order.
template <typename Fn>
std::vector<std::string> problem_fields(Fn fn) {
  std::vector<std::string> fields;
  for (const auto& error : problem_errors(fn))
    fields.push_back(error.field);
  return fields;
}

}  // namespace ordo::testing
