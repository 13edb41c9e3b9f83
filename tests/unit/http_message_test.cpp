// Unit tests of the plain HTTP values: headers, target parsing, response constructors, problems.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "platform/http/message.hpp"
#include "platform/http/problem.hpp"

namespace ordo::http {
namespace {

TEST(HttpHeaders, LookupIgnoresCase) {
  Headers headers;
  headers.add("Content-Type", "application/json");
  EXPECT_EQ(headers.get("content-type"), "application/json");
  EXPECT_TRUE(headers.has("CONTENT-TYPE"));
  EXPECT_FALSE(headers.get("Accept").has_value());
  EXPECT_EQ(headers.get_or("Accept", "*/*"), "*/*");
}

TEST(HttpHeaders, SetReplacesEveryFieldOfThatNameAndAddKeepsThem) {
  Headers headers;
  headers.add("Vary", "Accept");
  headers.add("X-Other", "1");
  headers.add("vary", "Origin");
  ASSERT_EQ(headers.fields().size(), 3u);
  headers.set("VARY", "Cookie");
  ASSERT_EQ(headers.fields().size(), 2u);
  EXPECT_EQ(headers.fields()[0].second, "Cookie");  // keeps the first field's position
  EXPECT_EQ(headers.fields()[1].first, "X-Other");
  headers.remove("x-other");
  EXPECT_EQ(headers.fields().size(), 1u);
}

TEST(HttpRequest, ParamsFallBackWhenAbsent) {
  Request request;
  request.path_params["id"] = "42";
  request.query["q"] = "";
  EXPECT_EQ(request.path_param("id"), "42");
  EXPECT_EQ(request.path_param("nope"), "");
  EXPECT_EQ(request.query_param("q"), "");
  EXPECT_FALSE(request.query_param("nope").has_value());
}

TEST(HttpResponse, ConstructorsSetContentType) {
  auto json = Response::json(201, boost::json::object{{"a", 1}});
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(json.body, R"({"a":1})");
  auto text = Response::text(200, "hi");
  EXPECT_EQ(text.headers.get("content-type"), "text/plain");
  auto empty = Response::empty(204);
  EXPECT_EQ(empty.status, 204);
  EXPECT_TRUE(empty.body.empty());
  EXPECT_TRUE(empty.headers.fields().empty());
}

struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

std::optional<Target> parse(std::string_view text) {
  Target target;
  if (!parse_target(text, target.path, target.query)) {
    return std::nullopt;
  }
  return target;
}

TEST(HttpParseTarget, DecodesPathAndQuery) {
  auto target = parse("/products/a%20b/stock?q=red+shoes&limit=5&empty=&flag");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/products/a b/stock");
  EXPECT_EQ(target->query.at("q"), "red shoes");
  EXPECT_EQ(target->query.at("limit"), "5");
  EXPECT_EQ(target->query.at("empty"), "");
  EXPECT_EQ(target->query.at("flag"), "");
}

TEST(HttpParseTarget, LastRepeatedValueWinsAndEscapesDecode) {
  auto target = parse("/x?a=1&a=2&c%26d=e%3Df&&");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->query.at("a"), "2");
  EXPECT_EQ(target->query.at("c&d"), "e=f");
  EXPECT_EQ(target->query.size(), 2u);
}

TEST(HttpParseTarget, RootAndNoQuery) {
  auto target = parse("/");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/");
  EXPECT_TRUE(target->query.empty());
}

TEST(HttpParseTarget, RejectsInvalidTargets) {
  EXPECT_FALSE(parse(""));
  EXPECT_FALSE(parse("products"));             // not origin-form
  EXPECT_FALSE(parse("http://example.com/"));  // absolute-form is for proxies
  EXPECT_FALSE(parse("/a b"));                 // raw space
  EXPECT_FALSE(parse("/a%zz"));                // broken escape
  EXPECT_FALSE(parse("/a%00b"));               // NUL
  EXPECT_FALSE(parse("/a#fragment"));          // fragments never reach a server
}

TEST(Problem, RendersProblemJson) {
  auto problem = errors::validation_failed({{"email", "is not an email address"}});
  auto response = errors::to_response(problem);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/problem+json");
  auto body = boost::json::parse(response.body).as_object();
  EXPECT_EQ(body.at("type"), "https://ordo.dev/problems/validation-failed");
  EXPECT_EQ(body.at("status"), 400);
  EXPECT_FALSE(body.at("title").as_string().empty());
  ASSERT_EQ(body.at("errors").as_array().size(), 1u);
  EXPECT_EQ(body.at("errors").as_array()[0].at("field"), "email");
  EXPECT_EQ(body.at("errors").as_array()[0].at("message"), "is not an email address");
}

TEST(Problem, OmitsEmptyErrorsAndMergesExtensions) {
  auto problem = errors::conflict("SKU taken");
  problem.extensions["sku"] = "ABC-1";
  problem.extensions["status"] = 999;  // cannot override a standard member
  auto body = errors::to_json(problem);
  EXPECT_FALSE(body.contains("errors"));
  EXPECT_EQ(body.at("sku"), "ABC-1");
  EXPECT_EQ(body.at("status"), 409);
  EXPECT_EQ(body.at("detail"), "SKU taken");
  EXPECT_EQ(body.at("type"), "https://ordo.dev/problems/conflict");
}

TEST(Problem, TooManyRequestsSetsRetryAfter) {
  auto response = errors::to_response(errors::too_many_requests("slow down", 7));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.headers.get("Retry-After"), "7");
  EXPECT_EQ(boost::json::parse(response.body).at("retryAfter"), 7);
}

TEST(Problem, BuildersUseTheirStatuses) {
  EXPECT_EQ(errors::bad_request("x").status, 400);
  EXPECT_EQ(errors::unauthorized("x").status, 401);
  EXPECT_EQ(errors::forbidden("x").status, 403);
  EXPECT_EQ(errors::not_found("x").status, 404);
  EXPECT_EQ(errors::method_not_allowed("x").status, 405);
  EXPECT_EQ(errors::precondition_failed("x").status, 412);
  EXPECT_EQ(errors::payload_too_large("x").status, 413);
  EXPECT_EQ(errors::unsupported_media_type("x").status, 415);
  EXPECT_EQ(errors::unprocessable("x").status, 422);
  EXPECT_EQ(errors::internal_error("x").status, 500);
  EXPECT_EQ(errors::bad_gateway("x").status, 502);
  EXPECT_EQ(errors::service_unavailable("x").status, 503);
  EXPECT_EQ(errors::gateway_timeout("x").status, 504);
  try {
    errors::raise(errors::forbidden("no"));
    FAIL();
  } catch (const errors::ProblemException& e) {
    EXPECT_EQ(e.problem().status, 403);
  }
}

}  // namespace
}  // namespace ordo::http
