#include "contracts/users.hpp"

#include <boost/json.hpp>

#include "contracts/json_fields.hpp"

namespace ordo::contracts {
namespace json = boost::json;

json::value to_json(const User& user) {
  return json::object{{"id", user.id},
                      {"email", user.email},
                      {"name", user.name},
                      {"role", user.role},
                      {"active", user.active},
                      {"createdAt", user.created_at},
                      {"updatedAt", user.updated_at},
                      {"phone", fields::nullable(user.phone)}};
}

User user_from_json(const json::value& value) {
  const auto& o = value.as_object();
  return User{std::string(o.at("id").as_string()),
              std::string(o.at("email").as_string()),
              std::string(o.at("name").as_string()),
              std::string(o.at("role").as_string()),
              o.at("active").as_bool(),
              std::string(o.at("createdAt").as_string()),
              std::string(o.at("updatedAt").as_string()),
              fields::optional_text(o, "phone")};
}

json::value to_json(const TokenPair& tokens) {
  return json::object{{"access_token", tokens.access_token},
                      {"token_type", tokens.token_type},
                      {"expires_in", tokens.expires_in},
                      {"refresh_token", tokens.refresh_token}};
}

TokenPair token_pair_from_json(const json::value& value) {
  const auto& o = value.as_object();
  return TokenPair{
      std::string(o.at("access_token").as_string()), std::string(o.at("token_type").as_string()),
      o.at("expires_in").to_number<std::int64_t>(), std::string(o.at("refresh_token").as_string())};
}

}  // namespace ordo::contracts
