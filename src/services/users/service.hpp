// The users service as the process sees it: its schema, and what its start hook and commands share.
#pragma once

#include "host/service.hpp"

namespace ordo::services::users {

std::vector<sql::Migration> migrations();  // generated from schema/

// `ordo users create-admin` and `ordo users rotate-key` (commands.cpp).
std::vector<host::Command> commands();

// Creates an admin, or promotes an existing account and resets its password; used by
// `ordo users create-admin` and the admin.email/admin.password bootstrap at start. Returns the
// user id.
boost::asio::awaitable<std::string> ensure_admin(sql::Database& db,
                                                 boost::asio::thread_pool& cpu_pool,
                                                 const config::Config& config, std::string email,
                                                 std::string password);

}  // namespace ordo::services::users
