#include "services/notifications/webhook_target.hpp"

#include <boost/asio/ip/address.hpp>

namespace ordo::services::notifications {
namespace asio = boost::asio;

asio::awaitable<ResolvedTarget> resolve_webhook_target(const std::string& url, bool allow_private,
                                                       std::chrono::milliseconds timeout,
                                                       core::NameLookup lookup) {
  auto parsed = parse_webhook_url(url);
  if (!parsed)
    throw ForbiddenTarget("not an http URL: " + url);
  std::vector<asio::ip::address> addresses;
  try {
    // Bounded: a DNS server that drops queries must not hold the dispatcher (or an admin's
    // request) for getaddrinfo's tens of seconds.
    for (const auto& text : co_await core::resolve_name(parsed->host, timeout, std::move(lookup)))
      addresses.push_back(asio::ip::make_address(text));
  } catch (const core::LookupError& e) {
    throw std::runtime_error("cannot resolve " + parsed->host + ": " + e.what());
  }
  // Every address is checked, not only the one used: a name that also points inside is refused.
  if (!allow_private) {
    for (const auto& address : addresses) {
      if (is_forbidden_webhook_address(address))
        throw ForbiddenTarget(parsed->host + " resolves to a forbidden address (" +
                              address.to_string() + ")");
    }
  }
  const auto& address = addresses.front();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  co_return ResolvedTarget{"http://" + host + ":" + std::to_string(parsed->port), parsed->authority,
                           parsed->target};
}

}  // namespace ordo::services::notifications
