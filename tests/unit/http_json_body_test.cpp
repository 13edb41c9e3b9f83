// Request bodies, paging and request context: JSON parsing and field validation (as problems),
// ?limit= / ?cursor=, W3C traceparent and the request_context middleware.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"

namespace ordo::http {
namespace {

namespace asio = boost::asio;

// The problem f() raised; a test failure when it raised none.
errors::Problem problem_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const errors::ProblemException& e) {
    return e.problem();
  }
  ADD_FAILURE() << "expected a ProblemException";
  return {};
}

Request json_request(std::string body,
                     std::optional<std::string> content_type = std::string("application/json")) {
  Request request;
  request.method = "POST";
  request.path = "/things";
  if (content_type)
    request.headers.set("Content-Type", *content_type);
  request.body = std::move(body);
  return request;
}

boost::json::object object(std::string_view text) {
  return boost::json::parse(text).as_object();
}

// ---------------------------------------------------------------------------------------------
// parse_json_object

TEST(HttpJsonBody, ParsesAnObject) {
  auto body = parse_json_object(json_request(R"({"a": 1, "b": "x"})"));
  EXPECT_EQ(body.at("a").as_int64(), 1);
  EXPECT_EQ(body.at("b").as_string(), "x");
}

TEST(HttpJsonBody, MissingContentTypeIs415) {
  auto problem = problem_of([] { parse_json_object(json_request("{}", std::nullopt)); });
  EXPECT_EQ(problem.status, 415);
  EXPECT_EQ(problem.type, "unsupported-media-type");
}

TEST(HttpJsonBody, OtherContentTypesAre415) {
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                           "application/json-patch+json", "json", "", "multipart/form-data"}) {
    auto problem = problem_of([&] { parse_json_object(json_request("{}", std::string(type))); });
    EXPECT_EQ(problem.status, 415) << type;
  }
}

TEST(HttpJsonBody, JsonWithParametersAccepted) {
  for (const char* type : {"application/json; charset=utf-8", "application/json;charset=UTF-8",
                           "Application/JSON", "application/json ; charset=utf-8"}) {
    EXPECT_NO_THROW(parse_json_object(json_request(R"({"ok": true})", std::string(type)))) << type;
  }
}

TEST(HttpJsonBody, MalformedJsonIs400) {
  for (const char* body : {"", "{", "{\"a\": }", "{'a': 1}", "{\"a\": 1} trailing", "nul"}) {
    auto problem = problem_of([&] { parse_json_object(json_request(body)); });
    EXPECT_EQ(problem.status, 400) << body;
    EXPECT_EQ(problem.type, "bad-request") << body;
  }
}

// Found by fuzzing (tests/fuzz/cloud_event.cpp, then api_bodies.cpp): Boost.JSON reads 1e400 as
// infinity and writes it as `Infinity`, not JSON; a product created with {"x": 1e400} in its
// attributes was stored that way and every later read of it failed.
TEST(HttpJsonBody, NumbersOutOfRangeAre400) {
  for (const char* body : {R"({"attributes": {"x": 1e400}})", R"({"a": [1, -1e999]})",
                           R"({"priceCents": 123456789e305})"}) {
    auto problem = problem_of([&] { parse_json_object(json_request(body)); });
    EXPECT_EQ(problem.status, 400) << body;
    EXPECT_NE(problem.detail.find("out of range"), std::string::npos) << problem.detail;
  }
  // Large but finite numbers, and integers beyond int64, are still JSON the fields reject.
  EXPECT_NO_THROW(parse_json_object(json_request(R"({"a": 1e308, "b": 18446744073709551616})")));
}

TEST(HttpJsonBody, NonObjectBodiesAre400) {
  for (const char* body : {"[]", "[{\"a\": 1}]", "\"text\"", "42", "null", "true"}) {
    auto problem = problem_of([&] { parse_json_object(json_request(body)); });
    EXPECT_EQ(problem.status, 400) << body;
    EXPECT_NE(problem.detail.find("object"), std::string::npos) << problem.detail;
  }
}

// ---------------------------------------------------------------------------------------------
// FieldReader

TEST(HttpJsonFieldReader, RequiredStringPresent) {
  auto body = object(R"({"name": "Alice"})");
  FieldReader fields(body);
  EXPECT_EQ(fields.required_string("name", 1, 10), "Alice");
  EXPECT_TRUE(fields.ok());
  EXPECT_NO_THROW(fields.throw_if_invalid());
}

TEST(HttpJsonFieldReader, RequiredStringMissingOrNull) {
  auto body = object(R"({"other": "x", "nothing": null})");
  FieldReader fields(body);
  EXPECT_EQ(fields.required_string("name", 1, 10), std::nullopt);
  EXPECT_EQ(fields.required_string("nothing", 1, 10), std::nullopt);
  EXPECT_FALSE(fields.ok());
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 2u);
  EXPECT_EQ(problem.errors[0].field, "name");
  EXPECT_EQ(problem.errors[0].message, "is required");
  EXPECT_EQ(problem.errors[1].field, "nothing");
}

TEST(HttpJsonFieldReader, RequiredStringWrongType) {
  for (const char* text :
       {R"({"name": 5})", R"({"name": ["a"]})", R"({"name": {"a": 1}})", R"({"name": true})"}) {
    auto body = object(text);
    FieldReader fields(body);
    EXPECT_EQ(fields.required_string("name", 0, 10), std::nullopt) << text;
    auto problem = problem_of([&] { fields.throw_if_invalid(); });
    ASSERT_EQ(problem.errors.size(), 1u) << text;
    EXPECT_EQ(problem.errors[0].message, "must be a string");
  }
}

TEST(HttpJsonFieldReader, StringLengthBoundsInclusive) {
  auto body = object(R"({"two": "ab", "three": "abc", "four": "abcd", "empty": ""})");
  FieldReader fields(body);
  EXPECT_EQ(fields.required_string("three", 3, 3), "abc");
  EXPECT_TRUE(fields.ok());
  EXPECT_EQ(fields.required_string("two", 3, 5), std::nullopt);    // too short
  EXPECT_EQ(fields.required_string("four", 1, 3), std::nullopt);   // too long
  EXPECT_EQ(fields.required_string("empty", 1, 3), std::nullopt);  // too short
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 3u);
  EXPECT_EQ(problem.errors[0].field, "two");
  EXPECT_EQ(problem.errors[0].message, "must be 3 to 5 characters long");
  EXPECT_EQ(problem.errors[1].field, "four");
  EXPECT_EQ(problem.errors[2].field, "empty");
}

TEST(HttpJsonFieldReader, LengthCountsCodePoints) {
  auto body = object(R"({"one": "é", "three": "héé", "emoji": "😀😀", "cjk": "日本語"})");
  FieldReader fields(body);
  EXPECT_EQ(fields.required_string("one", 1, 1), "é");  // 2 bytes, 1 character
  EXPECT_EQ(fields.required_string("three", 3, 3), "héé");
  EXPECT_EQ(fields.required_string("emoji", 2, 2), "😀😀");    // 8 bytes
  EXPECT_EQ(fields.required_string("cjk", 3, 3), "日本語");  // 9 bytes
  EXPECT_TRUE(fields.ok());
  EXPECT_EQ(fields.required_string("three", 1, 2), std::nullopt);
  EXPECT_FALSE(fields.ok());
}

TEST(HttpJsonFieldReader, OptionalString) {
  auto body = object(R"({"note": "hi", "none": null, "long": "abcdef", "num": 1})");
  FieldReader fields(body);
  EXPECT_EQ(fields.optional_string("note", 10), "hi");
  EXPECT_EQ(fields.optional_string("missing", 10), std::nullopt);
  EXPECT_EQ(fields.optional_string("none", 10), std::nullopt);
  EXPECT_TRUE(fields.ok());
  EXPECT_EQ(fields.optional_string("long", 5), std::nullopt);
  EXPECT_EQ(fields.optional_string("num", 5), std::nullopt);
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 2u);
  EXPECT_EQ(problem.errors[0].field, "long");
  EXPECT_EQ(problem.errors[1].message, "must be a string");
}

TEST(HttpJsonFieldReader, Integers) {
  auto body = object(R"({"n": 5, "neg": -7, "zero": 0, "big": 9223372036854775807})");
  FieldReader fields(body);
  EXPECT_EQ(fields.required_integer("n", 1, 10), 5);
  EXPECT_EQ(fields.required_integer("neg", -10, 0), -7);
  EXPECT_EQ(fields.required_integer("zero", 0, 0), 0);
  EXPECT_EQ(fields.required_integer("big", 0, std::numeric_limits<std::int64_t>::max()),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(fields.ok());
}

TEST(HttpJsonFieldReader, UnsignedJsonNumbersWithinRangeAreIntegers) {
  boost::json::object body;
  body["u"] = std::uint64_t{42};  // how a number arrives when built, not parsed
  FieldReader fields(body);
  EXPECT_EQ(fields.required_integer("u", 0, 100), 42);
  EXPECT_TRUE(fields.ok());
}

TEST(HttpJsonFieldReader, NonIntegersRejected) {
  auto body = object(
      R"({"float": 1.5, "whole_float": 2.0, "exp": 1e3, "text": "5", "flag": true,
          "huge": 18446744073709551615, "arr": [1]})");
  FieldReader fields(body);
  for (const char* name : {"float", "whole_float", "exp", "text", "flag", "huge", "arr"}) {
    EXPECT_EQ(fields.required_integer(name, std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max()),
              std::nullopt)
        << name;
  }
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 7u);
  for (const auto& error : problem.errors)
    EXPECT_EQ(error.message, "must be an integer") << error.field;
}

TEST(HttpJsonFieldReader, IntegerOutOfRange) {
  auto body = object(R"({"low": 0, "high": 101, "edge": 100})");
  FieldReader fields(body);
  EXPECT_EQ(fields.required_integer("edge", 1, 100), 100);
  EXPECT_TRUE(fields.ok());
  EXPECT_EQ(fields.required_integer("low", 1, 100), std::nullopt);
  EXPECT_EQ(fields.required_integer("high", 1, 100), std::nullopt);
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 2u);
  EXPECT_EQ(problem.errors[0].message, "must be between 1 and 100");
}

TEST(HttpJsonFieldReader, IntegerMissingAndOptional) {
  auto body = object(R"({"none": null, "q": 3, "bad": "x"})");
  FieldReader fields(body);
  EXPECT_EQ(fields.optional_integer("missing", 0, 10), std::nullopt);
  EXPECT_EQ(fields.optional_integer("none", 0, 10), std::nullopt);
  EXPECT_EQ(fields.optional_integer("q", 0, 10), 3);
  EXPECT_TRUE(fields.ok());
  EXPECT_EQ(fields.optional_integer("q", 5, 10), std::nullopt);
  EXPECT_EQ(fields.optional_integer("bad", 0, 10), std::nullopt);
  EXPECT_EQ(fields.required_integer("missing", 0, 10), std::nullopt);
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 3u);
  EXPECT_EQ(problem.errors[2].field, "missing");
  EXPECT_EQ(problem.errors[2].message, "is required");
}

TEST(HttpJsonFieldReader, Booleans) {
  auto body = object(R"({"t": true, "f": false, "none": null, "s": "true", "n": 1})");
  FieldReader fields(body);
  EXPECT_EQ(fields.optional_bool("t"), true);
  EXPECT_EQ(fields.optional_bool("f"), false);
  EXPECT_EQ(fields.optional_bool("none"), std::nullopt);
  EXPECT_EQ(fields.optional_bool("missing"), std::nullopt);
  EXPECT_TRUE(fields.ok());
  EXPECT_EQ(fields.optional_bool("s"), std::nullopt);
  EXPECT_EQ(fields.optional_bool("n"), std::nullopt);
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 2u);
  EXPECT_EQ(problem.errors[0].message, "must be true or false");
}

TEST(HttpJsonFieldReader, HasAndAddError) {
  auto body = object(R"({"a": null})");
  FieldReader fields(body);
  EXPECT_TRUE(fields.has("a"));
  EXPECT_FALSE(fields.has("b"));
  fields.add_error("items[2].quantity", "must be positive");
  EXPECT_FALSE(fields.ok());
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  ASSERT_EQ(problem.errors.size(), 1u);
  EXPECT_EQ(problem.errors[0].field, "items[2].quantity");
}

TEST(HttpJsonFieldReader, AllErrorsCollectedIntoOneProblem) {
  auto body = object(R"({"email": 5, "password": "short", "age": 1.5})");
  FieldReader fields(body);
  fields.required_string("email", 3, 254);
  fields.required_string("password", 8, 128);
  fields.required_integer("age", 0, 150);
  fields.required_string("name", 1, 100);
  auto problem = problem_of([&] { fields.throw_if_invalid(); });
  EXPECT_EQ(problem.status, 400);
  EXPECT_EQ(problem.type, "validation-failed");
  ASSERT_EQ(problem.errors.size(), 4u);
  EXPECT_EQ(problem.errors[0].field, "email");
  EXPECT_EQ(problem.errors[1].field, "password");
  EXPECT_EQ(problem.errors[2].field, "age");
  EXPECT_EQ(problem.errors[3].field, "name");
  // Rendered as RFC 9457 with an `errors` array naming each field.
  auto json = errors::to_json(problem);
  EXPECT_EQ(json.at("status").as_int64(), 400);
  const auto& list = json.at("errors").as_array();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].as_object().at("field").as_string(), "email");
  EXPECT_EQ(list[3].as_object().at("message").as_string(), "is required");
}

// ---------------------------------------------------------------------------------------------
// Pagination

Request list_request(std::vector<std::pair<std::string, std::string>> query) {
  Request request;
  request.method = "GET";
  request.path = "/things";
  for (auto& [name, value] : query)
    request.query[name] = value;
  return request;
}

TEST(HttpPagination, Defaults) {
  auto page = page_request(list_request({}));
  EXPECT_EQ(page.limit, 20);
  EXPECT_EQ(page.after, std::nullopt);
}

TEST(HttpPagination, LimitWithinBounds) {
  EXPECT_EQ(page_request(list_request({{"limit", "1"}})).limit, 1);
  EXPECT_EQ(page_request(list_request({{"limit", "55"}})).limit, 55);
  EXPECT_EQ(page_request(list_request({{"limit", "100"}})).limit, 100);
}

TEST(HttpPagination, BadLimitIs400) {
  for (const char* limit :
       {"0", "101", "abc", "", "-5", "10x", " 5", "5.0", "+5", "99999999999999999999"}) {
    auto problem = problem_of([&] { page_request(list_request({{"limit", limit}})); });
    EXPECT_EQ(problem.status, 400) << "'" << limit << "'";
    ASSERT_EQ(problem.errors.size(), 1u) << limit;
    EXPECT_EQ(problem.errors[0].field, "limit");
  }
}

TEST(HttpPagination, CursorRoundTrip) {
  for (const std::string position :
       {"2024-05-01T10:00:00Z|0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "x", "with spaces & ?=/"}) {
    std::string cursor = make_cursor(position);
    EXPECT_EQ(cursor.find_first_of("+/= &?"), std::string::npos) << cursor;  // URL-safe
    auto page = page_request(list_request({{"cursor", cursor}, {"limit", "5"}}));
    EXPECT_EQ(page.after, position);
    EXPECT_EQ(page.limit, 5);
  }
}

TEST(HttpPagination, EmptyCursorMeansFirstPage) {
  EXPECT_EQ(page_request(list_request({{"cursor", ""}})).after, std::nullopt);
}

TEST(HttpPagination, ForeignCursorIs400) {
  for (const std::string& cursor :
       {core::base64url_encode("some-position"), core::base64url_encode("v2:pos"),
        std::string("not base64!"), std::string("v1:pos")}) {
    auto problem = problem_of([&] { page_request(list_request({{"cursor", cursor}})); });
    EXPECT_EQ(problem.status, 400) << cursor;
    ASSERT_EQ(problem.errors.size(), 1u) << cursor;
    EXPECT_EQ(problem.errors[0].field, "cursor");
  }
}

TEST(HttpPagination, PageBody) {
  boost::json::array items;
  items.emplace_back(1);
  items.emplace_back(2);
  auto last = page_body(items, std::nullopt);
  EXPECT_EQ(last.at("items").as_array().size(), 2u);
  EXPECT_TRUE(last.at("nextCursor").is_null());

  auto more = page_body(items, std::string("pos-7"));
  ASSERT_TRUE(more.at("nextCursor").is_string());
  std::string next(more.at("nextCursor").as_string());
  EXPECT_EQ(next, make_cursor("pos-7"));
  EXPECT_EQ(page_request(list_request({{"cursor", next}})).after, "pos-7");
}

Request with_target(std::string target) {
  Request request;
  request.method = "GET";
  request.target = std::move(target);
  return request;
}

TEST(HttpPagination, NextPageTargetKeepsFiltersAndReplacesTheCursor) {
  EXPECT_EQ(next_page_target(with_target("/products"), "abc"), "/products?cursor=abc");
  EXPECT_EQ(next_page_target(with_target("/products?category=toys&limit=5&sort=-price"), "abc"),
            "/products?category=toys&limit=5&sort=-price&cursor=abc");
  EXPECT_EQ(next_page_target(with_target("/orders?cursor=old&status=pending&cursor=older"), "n"),
            "/orders?status=pending&cursor=n");
  EXPECT_EQ(next_page_target(with_target("/products?q=red%20car&&x"), "c"),
            "/products?q=red%20car&x&cursor=c");
  EXPECT_EQ(next_page_target(with_target("/p?a=<b>"), "c"), "/p?a=%3Cb%3E&cursor=c");
}

TEST(HttpPagination, PageResponseLinksTheNextPage) {
  boost::json::array items;
  items.emplace_back(1);
  auto request = with_target("/products?limit=1");
  auto more = page_response(request, items, std::string("pos-7"));
  EXPECT_EQ(more.status, 200);
  auto cursor = make_cursor("pos-7");
  EXPECT_EQ(more.headers.get("Link"), "</products?limit=1&cursor=" + cursor + ">; rel=\"next\"");
  auto body = boost::json::parse(more.body).as_object();
  EXPECT_EQ(body.at("nextCursor").as_string(), cursor);

  auto last = page_response(request, items, std::nullopt);
  EXPECT_FALSE(last.headers.has("Link"));
  EXPECT_TRUE(boost::json::parse(last.body).as_object().at("nextCursor").is_null());
}

// ---------------------------------------------------------------------------------------------
// traceparent

constexpr std::string_view kTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(HttpTraceparent, ValidExamples) {
  EXPECT_TRUE(valid_traceparent(kTrace));
  EXPECT_TRUE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
}

TEST(HttpTraceparent, AllZeroIdsInvalid) {
  EXPECT_FALSE(valid_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
}

TEST(HttpTraceparent, UppercaseInvalid) {
  EXPECT_FALSE(valid_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
}

TEST(HttpTraceparent, WrongShapeInvalid) {
  const std::string good(kTrace);
  EXPECT_FALSE(valid_traceparent(""));
  EXPECT_FALSE(valid_traceparent(good.substr(0, 54)));
  EXPECT_FALSE(valid_traceparent(good + "0"));
  EXPECT_FALSE(valid_traceparent(good + "-"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z"));
}

TEST(HttpTraceparent, NewOnesAreValidAndDistinct) {
  std::string a = new_traceparent();
  std::string b = new_traceparent();
  EXPECT_TRUE(valid_traceparent(a)) << a;
  EXPECT_TRUE(valid_traceparent(b)) << b;
  EXPECT_NE(a.substr(3, 32), b.substr(3, 32));
}

TEST(HttpTraceparent, ChildKeepsTraceAndChangesSpan) {
  std::string child = child_traceparent(kTrace);
  EXPECT_TRUE(valid_traceparent(child)) << child;
  EXPECT_EQ(child.substr(0, 36), kTrace.substr(0, 36));  // version and trace id
  EXPECT_NE(child.substr(36, 16), kTrace.substr(36, 16));
  EXPECT_EQ(child.substr(52), kTrace.substr(52));  // flags
  std::string sampled_off =
      child_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  EXPECT_EQ(sampled_off.substr(53), "00");
  EXPECT_NE(child_traceparent(kTrace), child);
}

TEST(HttpTraceparent, ChildOfInvalidStartsANewTrace) {
  std::string child = child_traceparent("garbage");
  EXPECT_TRUE(valid_traceparent(child)) << child;
}

// ---------------------------------------------------------------------------------------------
// request_context middleware

class HttpRequestContext : public ::testing::Test {
 protected:
  // Runs request_context() around a handler that records the context it saw.
  Response run(Request& request) {
    Middleware middleware = request_context();
    Handler next = [this](Request& r) -> asio::awaitable<Response> {
      seen_ = r.context;
      ++calls_;
      co_return Response::text(200, "ok");
    };
    asio::io_context io;
    std::optional<Response> response;
    std::exception_ptr error;
    asio::co_spawn(io, middleware(request, next), [&](std::exception_ptr e, Response r) {
      error = e;
      response = std::move(r);
    });
    io.run();
    if (error)
      std::rethrow_exception(error);
    EXPECT_EQ(calls_, 1);
    return std::move(*response);
  }
  Request with_headers(std::vector<std::pair<std::string, std::string>> headers) {
    Request request;
    request.method = "GET";
    request.path = "/x";
    for (auto& [name, value] : headers)
      request.headers.add(name, value);
    return request;
  }

  RequestContext seen_;
  int calls_ = 0;
};

TEST_F(HttpRequestContext, SaneRequestIdIsEchoed) {
  for (const std::string& id :
       std::vector<std::string>{"abc-123", "client_ID.v2:42", std::string(128, 'r')}) {
    calls_ = 0;
    Request request = with_headers({{"X-Request-Id", id}});
    Response response = run(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "ok");
    EXPECT_EQ(response.headers.get("X-Request-Id"), id);
    EXPECT_EQ(seen_.request_id, id);
  }
}

TEST_F(HttpRequestContext, InjectedRequestIdIsReplaced) {
  for (const std::string& id : std::vector<std::string>{
           "abc def", "abc\nfake log line", "abc\r\nX-Evil: 1", std::string(129, 'r'),
           std::string(""), "id\"quoted\"", "{\"json\":1}", "ünïcode"}) {
    calls_ = 0;
    Request request = with_headers({{"x-request-id", id}});
    Response response = run(request);
    auto echoed = response.headers.get("X-Request-Id");
    ASSERT_TRUE(echoed.has_value());
    EXPECT_NE(*echoed, id);
    EXPECT_TRUE(core::is_uuid(*echoed)) << *echoed;
    EXPECT_EQ(seen_.request_id, *echoed);
  }
}

TEST_F(HttpRequestContext, MissingRequestIdIsGenerated) {
  Request first = with_headers({});
  Request second = with_headers({});
  std::string a(run(first).headers.get_or("X-Request-Id", ""));
  calls_ = 0;
  std::string b(run(second).headers.get_or("X-Request-Id", ""));
  EXPECT_TRUE(core::is_uuid(a)) << a;
  EXPECT_TRUE(core::is_uuid(b)) << b;
  EXPECT_NE(a, b);
}

TEST_F(HttpRequestContext, GeneratedTraceparentIsValidAndEchoed) {
  Request request = with_headers({});
  Response response = run(request);
  auto trace = response.headers.get("traceparent");
  ASSERT_TRUE(trace.has_value());
  EXPECT_TRUE(valid_traceparent(*trace)) << *trace;
  EXPECT_EQ(seen_.traceparent, *trace);
  EXPECT_EQ(seen_.trace_id, trace->substr(3, 32));
  EXPECT_EQ(request.context.traceparent, *trace);
}

TEST_F(HttpRequestContext, ValidIncomingTraceparentIsKept) {
  Request request = with_headers({{"Traceparent", std::string(kTrace)}});
  Response response = run(request);
  EXPECT_EQ(response.headers.get("traceparent"), kTrace);
  EXPECT_EQ(seen_.traceparent, kTrace);
  EXPECT_EQ(seen_.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_F(HttpRequestContext, InvalidIncomingTraceparentIsReplaced) {
  const std::string bad = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
  Request request = with_headers({{"traceparent", bad}});
  Response response = run(request);
  auto trace = response.headers.get("traceparent");
  ASSERT_TRUE(trace.has_value());
  EXPECT_NE(*trace, bad);
  EXPECT_TRUE(valid_traceparent(*trace)) << *trace;
  EXPECT_EQ(seen_.trace_id, trace->substr(3, 32));
}

TEST_F(HttpRequestContext, ContextWinsOverHandlerHeaders) {
  Middleware middleware = request_context();
  Handler next = [](Request&) -> asio::awaitable<Response> {
    Response response = Response::text(200, "ok");
    response.headers.set("X-Request-Id", "from-handler");
    co_return response;
  };
  Request request = with_headers({{"X-Request-Id", "from-client"}});
  asio::io_context io;
  std::optional<Response> response;
  asio::co_spawn(io, middleware(request, next), [&](std::exception_ptr e, Response r) {
    if (e)
      std::rethrow_exception(e);
    response = std::move(r);
  });
  io.run();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers.get("X-Request-Id"), "from-client");
  auto ids = std::count_if(response->headers.fields().begin(), response->headers.fields().end(),
                           [](const auto& field) {
                             std::string name = field.first;
                             for (auto& c : name)
                               c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                             return name == "x-request-id";
                           });
  EXPECT_EQ(ids, 1);
}

}  // namespace
}  // namespace ordo::http
