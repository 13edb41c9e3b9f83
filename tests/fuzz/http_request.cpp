// The server's request path: bytes off the wire through the parser and limits server.cpp uses,
// the target split into path and query, then what handlers and middleware read from a request
// (the JSON body, paging, list filters and cursors, and the headers Ordo interprets). Promises:
// a request either parses or is refused, never crashes; a parsed request written back out by the
// gateway (wire::request_head) parses to the same request; a response echoing its headers cannot
// be split.
#include <boost/beast/http/error.hpp>

#include "fuzz_support.hpp"
#include "platform/http/conditional.hpp"
#include "platform/http/forwarded.hpp"
#include "platform/http/json_body.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/parsers.hpp"
#include "platform/http/problem.hpp"
#include "platform/http/server.hpp"
#include "services/orders/requests.hpp"
#include "services/products/requests.hpp"

namespace {

using namespace ordo;
namespace bhttp = boost::beast::http;

// Feeds the bytes to a parser as the server's read loop does: all that has arrived, again and
// again, until the message is complete, refused, or the bytes run out (then end of stream).
template <typename Parser>
bool parse_all(Parser& parser, std::string_view bytes) {
  boost::system::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done()) {
    if (parser.is_header_done())
      parser.eager(true);  // bhttp::async_read reads the body this way
    std::size_t consumed = 0;
    if (used < bytes.size()) {
      consumed = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
      used += consumed;
      if (ec && ec != bhttp::error::need_more)
        return false;
      ec = {};
    }
    if (consumed == 0) {
      // It needs bytes that will never come: the stream ends here.
      if (!parser.got_some())
        return false;  // before a request began: end_of_stream
      parser.put_eof(ec);
      return !ec && parser.is_done();
    }
  }
  return true;
}

bool parse_request(std::string_view bytes, http::Request& request) {
  http::wire::RequestParser parser(request);
  http::ServerLimits limits;  // the defaults a service runs with
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  if (!parse_all(parser, bytes))
    return false;
  fuzz::check(!request.method.empty() && !request.target.empty(), "parsed without method/target");
  fuzz::check(request.body.size() <= limits.max_body_bytes, "body over the limit accepted");
  return true;
}

bool is_hop_field(std::string_view name) {
  for (std::string_view hop : {"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
                               "Content-Length", "TE", "Upgrade", "Expect"}) {
    if (http::wire::iequals(name, hop))
      return true;
  }
  return false;
}

// The gateway forwards a parsed request with wire::request_head: it must read back the same.
void check_forwarded_copy(const http::Request& request) {
  http::OutgoingRequest out{request.method, request.target, request.headers, request.body};
  bool sends_body = http::wire::request_sends_body(out);
  std::string bytes = http::wire::request_head(out, "upstream.test:3001", sends_body);
  bytes += out.body;
  http::Request copy;
  fuzz::check(parse_request(bytes, copy), "a forwarded request does not parse");
  fuzz::check(copy.method == request.method && copy.target == request.target,
              "a forwarded request changed its request line");
  fuzz::check(copy.body == request.body, "a forwarded request changed its body");
  std::vector<std::pair<std::string, std::string>> expected;
  bool has_host = false;
  for (const auto& [name, value] : request.headers.fields()) {
    if (name.empty() || is_hop_field(name) || http::wire::has_line_break(name) ||
        http::wire::has_line_break(value))
      continue;
    has_host = has_host || http::wire::iequals(name, "Host");
    expected.emplace_back(name, value);
  }
  if (!has_host)
    expected.emplace_back("Host", "upstream.test:3001");
  if (http::wire::asks_to_close(out))  // a caller's wish for its own connection is kept
    expected.emplace_back("Connection", "close");
  if (sends_body)
    expected.emplace_back("Content-Length", std::to_string(request.body.size()));
  fuzz::check(copy.headers.fields() == expected, "a forwarded request changed its fields");
}

// A handler may echo request fields into its response: the head must stay one head.
void check_echoed_response(const http::Request& request) {
  http::Response echo = http::Response::text(200, request.body);
  for (const auto& [name, value] : request.headers.fields())
    echo.headers.add(name, value);
  std::string bytes = http::wire::response_head(echo, 11, true) + echo.body;
  http::Response copy;
  http::wire::ResponseParser parser(copy);
  parser.body_limit(boost::none);
  fuzz::check(parse_all(parser, bytes), "an echoing response does not parse");
  fuzz::check(copy.status == 200 && copy.body == echo.body, "an echoing response was split");
}

// What handlers read from the query and the headers; each either yields a value or a 400.
void read_like_handlers(http::Request& request) {
  try {
    auto page = http::page_request(request);
    fuzz::check(page.limit >= 1 && page.limit <= 100, "a page limit out of range");
    services::products::ListParams params{request.query_param("q"), request.query_param("category"),
                                          request.query_param("minPriceCents"),
                                          request.query_param("maxPriceCents"),
                                          request.query_param("sort")};
    auto filter = services::products::parse_list_filter(params);
    if (page.after) {
      if (auto position = services::products::decode_position(*page.after, filter.sort))
        fuzz::check(services::products::encode_position(*position) == *page.after,
                    "a list position does not re-encode");
    }
  } catch (const errors::ProblemException& problem) {
    fuzz::check(problem.problem().status == 400, "query refused with another status than 400");
  }
  if (auto prefer = request.headers.get("Prefer")) {
    auto wait = services::orders::parse_prefer_wait(*prefer);
    fuzz::check(!wait || (*wait >= 0 && *wait <= services::orders::kMaxWaitSeconds),
                "Prefer: wait out of range");
  }
  if (auto key = request.headers.get("Idempotency-Key"))
    services::orders::valid_idempotency_key(*key);
  if (auto tags = request.headers.get("If-Match"))
    http::if_match_satisfied(*tags, services::products::etag(7));
  if (auto tags = request.headers.get("If-None-Match"))
    http::if_none_match_matches(*tags, services::products::etag(7));
  static const http::TrustedProxies proxies({"127.0.0.1", "::1", "10.0.0.0/8"});
  request.remote_address = "127.0.0.1";
  auto client = http::client_address(request, proxies);
  fuzz::check(client == request.remote_address || http::TrustedProxies::valid_entry(client),
              "a client address that is not an address");
  try {
    http::parse_json_object(request);
  } catch (const errors::ProblemException& problem) {
    auto status = problem.problem().status;
    fuzz::check(status == 400 || status == 415, "body refused with another status");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    http::Request request;
    if (!parse_request(fuzz::as_text(data, size), request))
      return 0;
    check_forwarded_copy(request);
    check_echoed_response(request);
    if (!http::parse_target(request.target, request.path, request.query))
      return 0;
    fuzz::check(request.path.find('\0') == std::string::npos, "a NUL in a decoded path");
    read_like_handlers(request);
  } catch (const std::exception& e) {
    fuzz::violated(std::string("unexpected exception: ") + e.what());
  }
  return 0;
}
