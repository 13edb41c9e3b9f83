// Unit tests of the router: matching, params, precedence, 404/405/HEAD/OPTIONS, middleware order.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include "platform/http/middleware.hpp"
#include "platform/http/router.hpp"

namespace ordo::http {
namespace {

namespace asio = boost::asio;

Handler named(std::string name) {
  return [name](Request& request) -> asio::awaitable<Response> {
    std::string body = name;
    for (const auto& [key, value] : request.path_params) {
      body += " " + key + "=" + value;
    }
    co_return Response::text(200, body);
  };
}

Response run(const Handler& handler, std::string method, std::string path,
             std::string target = "") {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = std::move(target);
  asio::io_context io;
  auto future = asio::co_spawn(io, handler(request), asio::use_future);
  io.run();
  return future.get();
}

Response dispatch(const Router& router, std::string method, std::string path) {
  return run([&router](Request& r) { return router.dispatch(r); }, std::move(method),
             std::move(path));
}

Router sample() {
  Router router;
  router.get("/", named("root"));
  router.get("/users/me", named("me"));
  router.get("/users/{id}", named("user"));
  router.patch("/users/{id}", named("patch-user"));
  router.get("/products/{id}/stock", named("stock"));
  router.add("PATCH", "/products/{id}/replenish", named("replenish"));
  return router;
}

TEST(HttpRouter, MatchesLiteralsAndParams) {
  auto router = sample();
  EXPECT_EQ(dispatch(router, "GET", "/").body, "root");
  EXPECT_EQ(dispatch(router, "GET", "/users/42").body, "user id=42");
  EXPECT_EQ(dispatch(router, "GET", "/products/p 1/stock").body, "stock id=p 1");
  EXPECT_EQ(dispatch(router, "PATCH", "/products/9/replenish").body, "replenish id=9");
  EXPECT_EQ(dispatch(router, "GET", "/users/42/").body, "user id=42");  // trailing slash
}

TEST(HttpRouter, EscapedSlashStaysInsideItsSegment) {
  auto router = sample();
  auto handler = [&router](Request& r) { return router.dispatch(r); };
  EXPECT_EQ(run(handler, "GET", "/users/a/b", "/users/a%2Fb?x=1").body, "user id=a/b");
  EXPECT_EQ(run(handler, "GET", "/users/a b/", "/users/a%20b/").body, "user id=a b");
}

TEST(HttpRouter, LiteralSegmentBeatsParamWhateverTheOrder) {
  Router router;
  router.get("/users/{id}", named("user"));
  router.get("/users/me", named("me"));
  EXPECT_EQ(dispatch(router, "GET", "/users/me").body, "me");
  EXPECT_EQ(dispatch(router, "GET", "/users/you").body, "user id=you");
}

TEST(HttpRouter, UnknownPathIs404Problem) {
  auto router = sample();
  for (const char* path : {"/nope", "/users", "/users/1/2", "/users//x"}) {
    auto response = dispatch(router, "GET", path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.headers.get("Content-Type"), "application/problem+json");
  }
}

TEST(HttpRouter, OtherMethodIs405WithAllow) {
  auto router = sample();
  auto response = dispatch(router, "DELETE", "/users/42");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD, OPTIONS, PATCH");
  EXPECT_EQ(response.headers.get("Content-Type"), "application/problem+json");
  EXPECT_EQ(boost::json::parse(response.body).at("status"), 405);
}

TEST(HttpRouter, HeadFallsBackToGetAndOptionsAnswersAllow) {
  auto router = sample();
  EXPECT_EQ(dispatch(router, "HEAD", "/users/7").body, "user id=7");
  auto options = dispatch(router, "OPTIONS", "/products/1/stock");
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers.get("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(dispatch(router, "HEAD", "/products/1/replenish").status, 405);
}

TEST(HttpRouter, MiddlewareRunsOutermostFirst) {
  std::string trace;
  auto tag = [&trace](std::string name) -> Middleware {
    return [&trace, name](Request& request, const Handler& next) -> asio::awaitable<Response> {
      trace += name + ">";
      auto response = co_await next(request);
      trace += "<" + name;
      response.headers.add("X-Seen", name);
      co_return response;
    };
  };
  Handler handler;
  {
    // The router may go away once its handler exists.
    auto router = sample();
    handler = router.handler({tag("a"), tag("b")});
  }
  auto response = run(handler, "GET", "/users/me");
  EXPECT_EQ(response.body, "me");
  EXPECT_EQ(trace, "a>b><b<a");
  ASSERT_EQ(response.headers.fields().size(), 3u);
  EXPECT_EQ(response.headers.fields()[1].second, "b");
}

TEST(HttpRouter, MiddlewareCanShortCircuit) {
  Middleware deny = [](Request&, const Handler&) -> asio::awaitable<Response> {
    co_return Response::empty(401);
  };
  auto handler = compose({deny}, named("never"));
  EXPECT_EQ(run(handler, "GET", "/").status, 401);
}

// Security issue, finding 8: no nosniff anywhere, and authenticated answers were storable.
TEST(HttpSecurityHeaders, NosniffEverywhereAndNoStoreWhenAuthenticated) {
  Router router;
  router.get("/cached", [](Request&) -> asio::awaitable<Response> {
    auto response = Response::text(200, "public");
    response.headers.set("Cache-Control", "no-cache");
    co_return response;
  });
  auto handler = router.handler({security_headers()});
  auto anonymous = run(handler, "GET", "/cached");
  EXPECT_EQ(anonymous.headers.get_or("X-Content-Type-Options", ""), "nosniff");
  EXPECT_EQ(anonymous.headers.get_or("Cache-Control", ""), "no-cache");
  auto missing = run(handler, "GET", "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers.get_or("X-Content-Type-Options", ""), "nosniff");

  Request request;
  request.method = "GET";
  request.path = "/cached";
  request.headers.set("Authorization", "Bearer whatever");
  asio::io_context io;
  auto future = asio::co_spawn(io, handler(request), asio::use_future);
  io.run();
  auto authenticated = future.get();
  EXPECT_EQ(authenticated.headers.get_or("Cache-Control", ""), "no-store");
  EXPECT_EQ(authenticated.headers.get_or("X-Content-Type-Options", ""), "nosniff");
}

TEST(HttpRouter, ARefusedRequestGetsItsRefusal) {
  auto router = sample();
  Request request;
  request.method = "GET";
  request.path = "/users/me";
  request.refusal = Response::text(413, "too large");
  asio::io_context io;
  auto future = asio::co_spawn(io, router.dispatch(request), asio::use_future);
  io.run();
  EXPECT_EQ(future.get().status, 413);
}

}  // namespace
}  // namespace ordo::http
