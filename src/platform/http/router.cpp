// Route matching (literal segments beat {params}), 404/405/OPTIONS answers, middleware composition.
#include "platform/http/router.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include <boost/url/parse.hpp>

#include "platform/http/problem.hpp"

namespace ordo::http {
namespace {

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b/" and "/a/b" are the same resource; empty inner segments ("/a//b") stay and never match.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.starts_with('/')) {
    path.remove_prefix(1);
  }
  if (path.ends_with('/')) {
    path.remove_suffix(1);
  }
  if (path.empty()) {
    return segments;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    segments.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return segments;
}

// Segments are decoded one by one from the raw target, so that an escaped "/" (%2F) stays inside
// its segment; requests built without a target (tests, internal calls) use the decoded path.
std::vector<std::string> request_segments(const Request& request) {
  std::vector<std::string> segments;
  if (!request.target.empty()) {
    if (auto url = boost::urls::parse_origin_form(request.target)) {
      for (auto segment : url->segments()) {
        segments.push_back(std::move(segment));
      }
      if (!segments.empty() && segments.back().empty()) {
        segments.pop_back();  // trailing slash
      }
      return segments;
    }
  }
  for (auto segment : split_path(request.path)) {
    segments.emplace_back(segment);
  }
  return segments;
}

// A {param} segment matches any non-empty segment; literals must be equal (already decoded).
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path) {
  if (pattern.size() != path.size()) {
    return false;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      if (path[i].empty()) {
        return false;
      }
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

// True when a is more specific than b: at the first segment where they differ in kind, a literal.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    bool a_param = is_param(a[i]);
    bool b_param = is_param(b[i]);
    if (a_param != b_param) {
      return !a_param;
    }
  }
  return false;
}

std::string allow_header(const std::set<std::string>& methods) {
  std::set<std::string> all = methods;
  if (all.contains("GET")) {
    all.insert("HEAD");
  }
  all.insert("OPTIONS");
  std::string out;
  for (const auto& method : all) {
    if (!out.empty()) {
      out += ", ";
    }
    out += method;
  }
  return out;
}

// Free coroutines take their state by value so that a frame never points into a temporary closure.
boost::asio::awaitable<Response> run_layer(std::shared_ptr<const Middleware> middleware,
                                           std::shared_ptr<const Handler> next, Request& request) {
  co_return co_await (*middleware)(request, *next);
}

boost::asio::awaitable<Response> run_router(std::shared_ptr<const Router> router,
                                            Request& request) {
  co_return co_await router->dispatch(request);
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route route;
  route.method = std::move(method);
  for (auto segment : split_path(pattern)) {
    route.segments.emplace_back(segment);
  }
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

boost::asio::awaitable<Response> Router::dispatch(Request& request) const {
  if (request.refusal)
    co_return *request.refusal;
  auto path = request_segments(request);
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // HEAD falls back to it when no HEAD route exists
  for (const auto& route : routes_) {
    if (!matches(route.segments, path)) {
      continue;
    }
    if (route.method == request.method) {
      if (best == nullptr || more_specific(route.segments, best->segments)) {
        best = &route;
      }
    } else if (route.method == "GET" && request.method == "HEAD") {
      if (best_get == nullptr || more_specific(route.segments, best_get->segments)) {
        best_get = &route;
      }
    }
  }
  if (best == nullptr) {
    best = best_get;
  }
  if (best == nullptr) {
    // Only a request no route takes needs the methods the path allows (404, 405, OPTIONS).
    std::set<std::string> allowed;
    for (const auto& route : routes_) {
      if (matches(route.segments, path))
        allowed.insert(route.method);
    }
    if (allowed.empty()) {
      co_return errors::to_response(errors::not_found("No resource at " + request.path + "."));
    }
    if (request.method == "OPTIONS") {
      Response response = Response::empty(204);
      response.headers.set("Allow", allow_header(allowed));
      co_return response;
    }
    Response response = errors::to_response(
        errors::method_not_allowed(request.method + " is not allowed on " + request.path + "."));
    response.headers.set("Allow", allow_header(allowed));
    co_return response;
  }
  request.route = best->pattern;
  request.path_params.clear();
  for (std::size_t i = 0; i < best->segments.size(); ++i) {
    const auto& segment = best->segments[i];
    if (is_param(segment)) {
      request.path_params[segment.substr(1, segment.size() - 2)] = std::move(path[i]);
    }
  }
  co_return co_await best->handler(request);
}

Handler Router::handler(std::vector<Middleware> middleware) const {
  auto router = std::make_shared<const Router>(*this);
  Handler inner = [router](Request& request) { return run_router(router, request); };
  return compose(std::move(middleware), std::move(inner));
}

Handler compose(std::vector<Middleware> middleware, Handler inner) {
  auto next = std::make_shared<const Handler>(std::move(inner));
  for (auto it = middleware.rbegin(); it != middleware.rend(); ++it) {
    auto layer = std::make_shared<const Middleware>(std::move(*it));
    next = std::make_shared<const Handler>(
        [layer, next](Request& request) { return run_layer(layer, next, request); });
  }
  return *next;
}

}  // namespace ordo::http
