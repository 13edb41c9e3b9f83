// Who may call a route: require_user and require_admin read what the authentication middleware
// found, and answer the refusals a client can act on.
#include <gtest/gtest.h>

#include "platform/http/middleware.hpp"
#include "platform/http/problem.hpp"

namespace ordo::http {
namespace {

int status_of(const Request& request, bool admin) {
  try {
    if (admin)
      require_admin(request);
    else
      require_user(request);
  } catch (const errors::ProblemException& e) {
    auto response = errors::to_response(e.problem());
    if (response.status == 503) {
      EXPECT_EQ(response.headers.get("Retry-After").value_or(""), std::string_view("1"));
    }
    return response.status;
  }
  return 200;
}

TEST(RequireUser, NoTokenOrARefusedOneIs401) {
  Request request;
  EXPECT_EQ(status_of(request, false), 401);
  request.context.credential_error = "expired";
  EXPECT_EQ(status_of(request, false), 401);
  request.context.credential_error = "unknown_key";  // keys known, this kid not among them
  EXPECT_EQ(status_of(request, false), 401);
}

TEST(RequireUser, ATokenThatCannotBeCheckedYetIs503NotTheClientsFault) {
  Request request;
  request.context.credential_error = "unknown_key";
  request.context.credentials_unverifiable = true;  // no verification keys at all yet
  EXPECT_EQ(status_of(request, false), 503);
  EXPECT_EQ(status_of(request, true), 503);
}

TEST(RequireUser, AUserIsNotAnAdmin) {
  Request request;
  request.context.principal = Principal{"u1", "user", "j1", "s1"};
  EXPECT_EQ(status_of(request, false), 200);
  EXPECT_EQ(status_of(request, true), 403);
  request.context.principal->role = "admin";
  EXPECT_EQ(status_of(request, true), 200);
}

}  // namespace
}  // namespace ordo::http
