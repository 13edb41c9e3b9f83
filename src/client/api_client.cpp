#include "client/api_client.hpp"

#include <boost/json.hpp>

namespace ordo::client {
namespace json = boost::json;

ApiError::ApiError(int status, json::value problem)
    : std::runtime_error("HTTP " + std::to_string(status) + ": " + json::serialize(problem)),
      status_(status),
      problem_(std::move(problem)) {}

boost::asio::awaitable<http::Response> ApiClient::send(std::string method, std::string target,
                                                       std::string body, std::string content_type) {
  http::OutgoingRequest request{std::move(method), std::move(target), {}, std::move(body)};
  if (!request.body.empty() || request.method == "POST" || request.method == "PATCH" ||
      request.method == "PUT") {
    request.headers.set("Content-Type", content_type);
  }
  if (!access_token_.empty())
    request.headers.set("Authorization", "Bearer " + access_token_);
  if (!observer_)
    co_return co_await http_.send(origin_, std::move(request));
  http::OutgoingRequest sent = request;
  auto response = co_await http_.send(origin_, std::move(request));
  observer_(sent, response);
  co_return response;
}

boost::asio::awaitable<json::value> ApiClient::call(std::string method, std::string target,
                                                    std::string body, int expected_status) {
  auto response = co_await send(std::move(method), std::move(target), std::move(body));
  json::value document;
  if (!response.body.empty()) {
    boost::system::error_code ec;
    document = json::parse(response.body, ec);
    if (ec)
      document = json::string(response.body);
  }
  if (response.status != expected_status)
    throw ApiError(response.status, std::move(document));
  co_return document;
}

boost::asio::awaitable<contracts::User> ApiClient::register_user(const std::string& email,
                                                                 const std::string& password,
                                                                 const std::string& name) {
  json::object body{{"email", email}, {"password", password}, {"name", name}};
  co_return contracts::user_from_json(
      co_await call("POST", "/users/register", json::serialize(body), 201));
}

boost::asio::awaitable<contracts::TokenPair> ApiClient::login(const std::string& email,
                                                              const std::string& password) {
  json::object body{{"email", email}, {"password", password}};
  auto tokens = contracts::token_pair_from_json(
      co_await call("POST", "/users/login", json::serialize(body), 200));
  access_token_ = tokens.access_token;
  co_return tokens;
}

boost::asio::awaitable<contracts::TokenPair> ApiClient::refresh(const std::string& refresh_token) {
  json::object body{{"refresh_token", refresh_token}};
  auto tokens = contracts::token_pair_from_json(
      co_await call("POST", "/users/refresh", json::serialize(body), 200));
  access_token_ = tokens.access_token;
  co_return tokens;
}

boost::asio::awaitable<void> ApiClient::logout(const std::string& refresh_token) {
  json::object body{{"refresh_token", refresh_token}};
  co_await call("POST", "/users/logout", json::serialize(body), 204);
}

boost::asio::awaitable<contracts::User> ApiClient::me() {
  co_return contracts::user_from_json(co_await call("GET", "/users/me", {}, 200));
}

boost::asio::awaitable<contracts::User> ApiClient::user(const std::string& id) {
  co_return contracts::user_from_json(co_await call("GET", "/users/" + id, {}, 200));
}

boost::asio::awaitable<Page> ApiClient::users(int limit, const std::optional<std::string>& cursor) {
  std::string target = "/users?limit=" + std::to_string(limit);
  if (cursor)
    target += "&cursor=" + *cursor;
  auto document = co_await call("GET", target, {}, 200);
  Page page;
  for (const auto& item : document.at("items").as_array()) {
    page.items.push_back(contracts::user_from_json(item));
  }
  if (const auto& next = document.at("nextCursor"); next.is_string()) {
    page.next_cursor = std::string(next.as_string());
  }
  co_return page;
}

boost::asio::awaitable<contracts::User> ApiClient::patch_user(const std::string& id,
                                                              const json::object& changes) {
  co_return contracts::user_from_json(
      co_await call("PATCH", "/users/" + id, json::serialize(changes), 200));
}

}  // namespace ordo::client
