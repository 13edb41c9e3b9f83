// Routes (method, path pattern with {params}) to handlers, and composes middleware around them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/http/message.hpp"

namespace ordo::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
// A middleware sees the request first and decides whether and how to call the next handler.
using Middleware = std::function<boost::asio::awaitable<Response>(Request&, const Handler& next)>;

class Router {
 public:
  // pattern: "/users/{id}/stock"; a segment "{name}" matches one non-empty path segment.
  void add(std::string method, std::string pattern, Handler handler);
  void get(std::string pattern, Handler h) { add("GET", std::move(pattern), std::move(h)); }
  void post(std::string pattern, Handler h) { add("POST", std::move(pattern), std::move(h)); }
  void put(std::string pattern, Handler h) { add("PUT", std::move(pattern), std::move(h)); }
  void patch(std::string pattern, Handler h) { add("PATCH", std::move(pattern), std::move(h)); }
  void del(std::string pattern, Handler h) { add("DELETE", std::move(pattern), std::move(h)); }

  // Dispatches: fills request.route (the matched pattern) and request.path_params; 404 for an
  // unknown path, 405 (with Allow) for a known path with another method, both as problem+json. HEAD
  // falls back to GET. A request the server refused (request.refusal) gets its refusal.
  boost::asio::awaitable<Response> dispatch(Request& request) const;

  // The router as a handler, wrapped by the middleware (the first one listed runs first).
  Handler handler(std::vector<Middleware> middleware) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// Wraps a handler in middleware, outermost first.
Handler compose(std::vector<Middleware> middleware, Handler inner);

}  // namespace ordo::http
