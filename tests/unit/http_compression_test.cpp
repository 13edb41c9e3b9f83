// Unit tests of response compression: Accept-Encoding negotiation, compressible types, gzip round
// trips, entity tags of compressed representations, and the middleware's decisions.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "platform/http/compression.hpp"

namespace ordo::http {
namespace {

TEST(HttpCompression, AcceptsGzipWhenListedWithAPositiveWeight) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("br, gzip, deflate"));
  EXPECT_TRUE(accepts_gzip("GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, *"));
  EXPECT_TRUE(accepts_gzip("gzip ; q=1.000"));
}

TEST(HttpCompression, HonoursZeroWeightsAndAbsence) {
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  // An explicit gzip weight beats the wildcard, either way.
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_TRUE(accepts_gzip("*;q=0, gzip"));
}

TEST(HttpCompression, CompressibleTypes) {
  EXPECT_TRUE(is_compressible_type("application/json"));
  EXPECT_TRUE(is_compressible_type("application/problem+json"));
  EXPECT_TRUE(is_compressible_type("text/html; charset=utf-8"));
  EXPECT_TRUE(is_compressible_type("text/css"));
  EXPECT_TRUE(is_compressible_type("text/plain; version=0.0.4"));
  EXPECT_TRUE(is_compressible_type("application/javascript"));
  EXPECT_TRUE(is_compressible_type("image/svg+xml"));
  EXPECT_FALSE(is_compressible_type("text/event-stream"));
  EXPECT_FALSE(is_compressible_type("image/png"));
  EXPECT_FALSE(is_compressible_type("application/octet-stream"));
  EXPECT_FALSE(is_compressible_type(""));
}

TEST(HttpCompression, GzipRoundTrips) {
  std::string text;
  for (int i = 0; i < 500; ++i)
    text += "{\"id\":" + std::to_string(i) + ",\"name\":\"widget\"},";
  auto compressed = gzip(text);
  EXPECT_LT(compressed.size(), text.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);  // the gzip magic
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  EXPECT_EQ(gunzip(compressed, 1 << 20), text);
  EXPECT_EQ(gunzip(gzip(""), 10), "");
}

TEST(HttpCompression, GunzipRefusesGarbageTruncationAndBombs) {
  EXPECT_FALSE(gunzip("not gzip at all", 1 << 20));
  auto compressed = gzip(std::string(100'000, 'a'));
  EXPECT_FALSE(gunzip(compressed.substr(0, compressed.size() / 2), 1 << 20));
  EXPECT_FALSE(gunzip(compressed, 1000));
}

TEST(HttpCompression, EntityTagsOfCompressedRepresentations) {
  EXPECT_EQ(gzip_entity_tag("\"7\""), "\"7-gzip\"");
  EXPECT_EQ(gzip_entity_tag("W/\"abc\""), "W/\"abc-gzip\"");
  EXPECT_EQ(gzip_entity_tag("unquoted"), "unquoted");
  EXPECT_EQ(identity_entity_tags("\"7-gzip\""), "\"7\"");
  EXPECT_EQ(identity_entity_tags("\"1\", W/\"2-gzip\", \"3-gzip\""), "\"1\", W/\"2\", \"3\"");
  EXPECT_EQ(identity_entity_tags("*"), "*");
}

TEST(HttpCompression, VaryIsAddedOnce) {
  Headers headers;
  headers.add("Vary", "Origin");
  add_vary(headers, "Accept-Encoding");
  add_vary(headers, "accept-encoding");
  ASSERT_EQ(headers.fields().size(), 2u);
  EXPECT_EQ(headers.fields()[1].second, "Accept-Encoding");
  Headers star;
  star.add("Vary", "*");
  add_vary(star, "Accept-Encoding");
  EXPECT_EQ(star.fields().size(), 1u);
}

// The handler under the middleware: a coroutine with parameters, not captures.
boost::asio::awaitable<Response> answer_with(Response answer, Request* seen, Request& request) {
  if (seen)
    *seen = request;
  co_return answer;
}

class CompressionMiddleware : public ::testing::Test {
 protected:
  // Runs the middleware around a handler answering `answer`; `seen` gets the handler's request.
  Response run(Request request, Response answer, Request* seen = nullptr) {
    auto middleware = compress_responses();
    Handler inner = [answer, seen](Request& r) { return answer_with(answer, seen, r); };
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(
        io,
        [](Middleware m, Request r, Handler h) -> boost::asio::awaitable<Response> {
          co_return co_await m(r, h);
        }(middleware, std::move(request), inner),
        boost::asio::use_future);
    io.run();
    return future.get();
  }

  static Request accepting(std::string encodings) {
    Request request;
    request.method = "GET";
    request.headers.add("Accept-Encoding", std::move(encodings));
    return request;
  }

  static std::string big_json() {
    std::string body = "[";
    for (int i = 0; i < 200; ++i)
      body += "{\"n\":" + std::to_string(i) + "},";
    body += "{}]";
    return body;
  }
};

TEST_F(CompressionMiddleware, CompressesLargeJsonForClientsThatAcceptIt) {
  auto answer = Response::text(200, big_json(), "application/json");
  answer.headers.set("ETag", "\"5\"");
  auto response = run(accepting("gzip, br"), answer);
  EXPECT_EQ(response.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(response.headers.get("Vary"), "Accept-Encoding");
  EXPECT_EQ(response.headers.get("ETag"), "\"5-gzip\"");
  EXPECT_EQ(gunzip(response.body, 1 << 20), big_json());
}

TEST_F(CompressionMiddleware, LeavesOthersAloneButSaysItVaries) {
  auto answer = Response::text(200, big_json(), "application/json");
  answer.headers.set("ETag", "\"5\"");
  auto identity = run(accepting("gzip;q=0"), answer);
  EXPECT_FALSE(identity.headers.has("Content-Encoding"));
  EXPECT_EQ(identity.headers.get("Vary"), "Accept-Encoding");
  EXPECT_EQ(identity.headers.get("ETag"), "\"5\"");
  EXPECT_EQ(identity.body, big_json());

  auto small = run(accepting("gzip"), Response::text(200, "{}", "application/json"));
  EXPECT_FALSE(small.headers.has("Content-Encoding"));
  EXPECT_EQ(small.body, "{}");

  auto png = run(accepting("gzip"), Response::text(200, big_json(), "image/png"));
  EXPECT_FALSE(png.headers.has("Content-Encoding"));
  EXPECT_FALSE(png.headers.has("Vary"));
}

TEST_F(CompressionMiddleware, NeverCompressesTwiceNorStreams) {
  auto already = Response::text(200, gzip(big_json()), "application/json");
  already.headers.set("Content-Encoding", "gzip");
  already.headers.set("Vary", "Accept-Encoding");
  auto passed = run(accepting("gzip"), already);
  EXPECT_EQ(passed.body, already.body);
  EXPECT_EQ(passed.headers.fields().size(), already.headers.fields().size());

  Response stream;
  stream.headers.set("Content-Type", "text/event-stream");
  stream.stream = [](StreamWriter&) -> boost::asio::awaitable<void> { co_return; };
  stream.body = big_json();
  auto streamed = run(accepting("gzip"), stream);
  EXPECT_FALSE(streamed.headers.has("Content-Encoding"));
  EXPECT_EQ(streamed.body, big_json());
}

TEST_F(CompressionMiddleware, HandlersSeeIdentityTagsAndA304KeepsTheClientsTag) {
  auto request = accepting("gzip");
  request.headers.add("If-None-Match", "\"5-gzip\"");
  request.headers.add("If-Match", "\"4-gzip\", \"9\"");
  auto not_modified = Response::empty(304);
  not_modified.headers.set("ETag", "\"5\"");
  Request seen;
  auto response = run(request, not_modified, &seen);
  EXPECT_EQ(seen.headers.get("If-None-Match"), "\"5\"");
  EXPECT_EQ(seen.headers.get("If-Match"), "\"4\", \"9\"");
  EXPECT_EQ(response.status, 304);
  EXPECT_EQ(response.headers.get("ETag"), "\"5-gzip\"");

  auto plain = accepting("gzip");
  plain.headers.add("If-None-Match", "\"5\"");
  EXPECT_EQ(run(plain, not_modified).headers.get("ETag"), "\"5\"");
}

TEST(HttpCompression, PrecompressedBodiesAreUsedOnlyWhenAccepted) {
  auto body = std::string(4000, 'x');
  auto gzipped = gzip(body, 9);
  Request wants;
  wants.headers.add("Accept-Encoding", "gzip");
  auto response = Response::text(200, body, "text/css");
  response.headers.set("ETag", "\"f\"");
  use_precompressed(response, wants, gzipped);
  EXPECT_EQ(response.body, gzipped);
  EXPECT_EQ(response.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(response.headers.get("ETag"), "\"f-gzip\"");

  Request plain;
  auto identity = Response::text(200, body, "text/css");
  use_precompressed(identity, plain, gzipped);
  EXPECT_EQ(identity.body, body);
  EXPECT_EQ(identity.headers.get("Vary"), "Accept-Encoding");
}

}  // namespace
}  // namespace ordo::http
