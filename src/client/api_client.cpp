// The client's plumbing (sending, reading answers, queries) and the users calls.
#include "client/api_client.hpp"

#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include "client/pages.hpp"
#include "client/requests.hpp"

namespace ordo::client {
namespace json = boost::json;

ApiError::ApiError(int status, json::value problem)
    : std::runtime_error("HTTP " + std::to_string(status) + ": " + json::serialize(problem)),
      status_(status),
      problem_(std::move(problem)) {}

std::string with_query(std::string path, const Query& query) {
  boost::urls::url target(path);
  for (const auto& [name, value] : query)
    target.params().append({name, value});
  return std::string(target.buffer());
}

boost::asio::awaitable<http::Response> ApiClient::send(std::string method, std::string target,
                                                       std::string body, std::string content_type,
                                                       const http::Headers& extra) {
  http::OutgoingRequest request{std::move(method), std::move(target), {}, std::move(body)};
  if (!request.body.empty() || request.method == "POST" || request.method == "PATCH" ||
      request.method == "PUT") {
    request.headers.set("Content-Type", content_type);
  }
  if (!access_token_.empty())
    request.headers.set("Authorization", "Bearer " + access_token_);
  for (const auto& [name, value] : extra.fields())
    request.headers.add(name, value);
  if (!observer_)
    co_return co_await http_.send(origin_, std::move(request));
  http::OutgoingRequest sent = request;
  auto response = co_await http_.send(origin_, std::move(request));
  observer_(sent, response);
  co_return response;
}

boost::asio::awaitable<ApiClient::Answer> ApiClient::exchange(std::string method,
                                                              std::string target, std::string body,
                                                              int expected,
                                                              const http::Headers& extra,
                                                              int also_expected) {
  Answer answer;
  answer.response = co_await send(std::move(method), std::move(target), std::move(body),
                                  "application/json", extra);
  if (!answer.response.body.empty()) {
    boost::system::error_code ec;
    answer.document = json::parse(answer.response.body, ec);
    if (ec)
      answer.document = json::string(answer.response.body);
  }
  if (answer.response.status != expected && answer.response.status != also_expected)
    throw ApiError(answer.response.status, std::move(answer.document));
  co_return answer;
}

boost::asio::awaitable<json::value> ApiClient::call(std::string method, std::string target,
                                                    std::string body, int expected_status) {
  auto answer =
      co_await exchange(std::move(method), std::move(target), std::move(body), expected_status);
  co_return std::move(answer.document);
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
  auto request = login_request(email, password);
  auto tokens = contracts::token_pair_from_json(co_await call(
      std::move(request.method), std::move(request.target), std::move(request.body), 200));
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

boost::asio::awaitable<contracts::User> ApiClient::patch_me(const json::object& changes) {
  co_return contracts::user_from_json(
      co_await call("PATCH", "/users/me", json::serialize(changes), 200));
}

boost::asio::awaitable<contracts::NotificationPreferences> ApiClient::notification_preferences() {
  co_return contracts::notification_preferences_from_json(
      co_await call("GET", "/users/me/notification-preferences", {}, 200));
}

boost::asio::awaitable<contracts::NotificationPreferences> ApiClient::set_notification_preferences(
    const contracts::NotificationPreferences& preferences) {
  auto body = json::serialize(contracts::to_json(preferences));
  co_return contracts::notification_preferences_from_json(
      co_await call("PUT", "/users/me/notification-preferences", std::move(body), 200));
}

boost::asio::awaitable<std::vector<contracts::PushSubscription>> ApiClient::push_subscriptions() {
  auto document = co_await call("GET", "/users/me/push-subscriptions", {}, 200);
  std::vector<contracts::PushSubscription> out;
  for (const auto& item : document.at("items").as_array())
    out.push_back(contracts::push_subscription_from_public_json(item));
  co_return out;
}

boost::asio::awaitable<contracts::PushSubscription> ApiClient::add_push_subscription(
    const json::object& subscription) {
  // 200: that browser was subscribed already (the same subscription comes back).
  auto answer = co_await exchange("POST", "/users/me/push-subscriptions",
                                  json::serialize(subscription), 201, {}, 200);
  co_return contracts::push_subscription_from_public_json(answer.document);
}

boost::asio::awaitable<void> ApiClient::remove_push_subscription(const std::string& id) {
  co_await call("DELETE", "/users/me/push-subscriptions/" + id, {}, 204);
}

boost::asio::awaitable<contracts::User> ApiClient::user(const std::string& id) {
  co_return contracts::user_from_json(co_await call("GET", "/users/" + id, {}, 200));
}

boost::asio::awaitable<Page<contracts::User>> ApiClient::users(
    int limit, const std::optional<std::string>& cursor) {
  Query query{{"limit", std::to_string(limit)}};
  if (cursor)
    query.emplace_back("cursor", *cursor);
  co_return read_page(co_await call("GET", with_query("/users", query), {}, 200),
                      contracts::user_from_json);
}

boost::asio::awaitable<contracts::User> ApiClient::patch_user(const std::string& id,
                                                              const json::object& changes) {
  co_return contracts::user_from_json(
      co_await call("PATCH", "/users/" + id, json::serialize(changes), 200));
}

boost::asio::awaitable<json::value> ApiClient::jwks() {
  co_return co_await call("GET", "/.well-known/jwks.json", {}, 200);
}

}  // namespace ordo::client
