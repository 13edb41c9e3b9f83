// The users API's public shapes: the user as clients see it and the OAuth-style token response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace ordo::contracts {

struct User {
  std::string id;
  std::string email;
  std::string name;
  std::string role;  // "admin" | "user"
  bool active = true;
  std::string created_at;  // RFC 3339
  std::string updated_at;
  std::optional<std::string> phone{};  // E.164, set by the user (PATCH /users/me)
};
boost::json::value to_json(const User& user);
User user_from_json(const boost::json::value& json);  // throws std::exception on a bad shape

struct TokenPair {
  std::string access_token;
  std::string token_type = "Bearer";
  std::int64_t expires_in = 0;  // seconds
  std::string refresh_token;
};
boost::json::value to_json(const TokenPair& tokens);
TokenPair token_pair_from_json(const boost::json::value& json);

}  // namespace ordo::contracts
