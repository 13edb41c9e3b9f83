// Where a process gets the token verification keys (auth::TokenVerifier's KeyFetch): the users
// service's JWKS over HTTP, or, where the users service runs in the same process, its database.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "platform/auth/token_verifier.hpp"
#include "platform/config/config.hpp"

namespace ordo::app {

// The JWKS URLs of a process without the service signing the tokens (signer: its name, "users"):
// auth.jwks_url (comma-separated), else every signer upstream's /.well-known/jwks.json.
std::vector<std::string> jwks_urls(const config::Config& config, const std::string& signer);

// Fetches the first of urls that answers a JWKS with at least one key (the others in turn when
// one fails). Runs on executor. Throws std::invalid_argument for a URL that is not http://.
auth::KeyFetch jwks_over_http(boost::asio::any_io_executor executor, std::vector<std::string> urls);

}  // namespace ordo::app
