// A typed client of Ordo's public API (through the gateway): used by the CLI, the end-to-end
// tests and the benchmarks. Failed calls throw ApiError carrying the problem document.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "contracts/users.hpp"
#include "platform/http/client.hpp"

namespace ordo::client {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, boost::json::value problem);
  int status() const { return status_; }
  const boost::json::value& problem() const { return problem_; }

 private:
  int status_;
  boost::json::value problem_;
};

struct Page {
  std::vector<contracts::User> items;
  std::optional<std::string> next_cursor;
};

class ApiClient {
 public:
  // origin: "http://127.0.0.1:3000"
  ApiClient(http::Client& http, std::string origin) : http_(http), origin_(std::move(origin)) {}

  void set_access_token(std::string token) { access_token_ = std::move(token); }
  const std::string& access_token() const { return access_token_; }

  // Called with every exchange send() completes (the end-to-end tests record them to check the
  // answers against the published contract).
  using Observer = std::function<void(const http::OutgoingRequest&, const http::Response&)>;
  void observe(Observer observer) { observer_ = std::move(observer); }

  // Any call, as it is: no status check (for tests of error paths).
  boost::asio::awaitable<http::Response> send(std::string method, std::string target,
                                              std::string body = {},
                                              std::string content_type = "application/json");

  boost::asio::awaitable<contracts::User> register_user(const std::string& email,
                                                        const std::string& password,
                                                        const std::string& name);
  // Logs in and keeps the access token for the calls that follow.
  boost::asio::awaitable<contracts::TokenPair> login(const std::string& email,
                                                     const std::string& password);
  boost::asio::awaitable<contracts::TokenPair> refresh(const std::string& refresh_token);
  boost::asio::awaitable<void> logout(const std::string& refresh_token);
  boost::asio::awaitable<contracts::User> me();
  boost::asio::awaitable<contracts::User> user(const std::string& id);
  boost::asio::awaitable<Page> users(int limit, const std::optional<std::string>& cursor);
  boost::asio::awaitable<contracts::User> patch_user(const std::string& id,
                                                     const boost::json::object& changes);

 private:
  boost::asio::awaitable<boost::json::value> call(std::string method, std::string target,
                                                  std::string body, int expected_status);
  http::Client& http_;
  std::string origin_;
  std::string access_token_;
  Observer observer_;
};

}  // namespace ordo::client
