// Where a webhook call goes: the URL's host resolved once, every address checked against the SSRF
// rules, and the call made to that checked address (never resolved again by the client), so a DNS
// answer that changes between the check and the connection cannot point it inside.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "platform/core/name_lookup.hpp"
#include "services/notifications/webhook_domain.hpp"

namespace ordo::services::notifications {

struct ResolvedTarget {
  std::string origin;     // "http://203.0.113.7:8080" or "http://[2001:db8::1]:80"
  std::string authority;  // the URL's, for the Host field
  std::string target;     // path and query
};

class ForbiddenTarget : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ForbiddenTarget when the URL is malformed or (unless allow_private) any address it
// resolves to is forbidden, std::runtime_error when it does not resolve within timeout. lookup:
// the system's resolver when empty (tests inject one).
boost::asio::awaitable<ResolvedTarget> resolve_webhook_target(const std::string& url,
                                                              bool allow_private,
                                                              std::chrono::milliseconds timeout,
                                                              core::NameLookup lookup = {});

}  // namespace ordo::services::notifications
