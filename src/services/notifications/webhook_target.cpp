#include "services/notifications/webhook_target.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ordo::services::notifications {
namespace asio = boost::asio;

asio::awaitable<ResolvedTarget> resolve_webhook_target(const std::string& url, bool allow_private) {
  auto parsed = parse_webhook_url(url);
  if (!parsed)
    throw ForbiddenTarget("not an http URL: " + url);
  asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolver.async_resolve(parsed->host, std::to_string(parsed->port),
                                                       asio::as_tuple(asio::use_awaitable));
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve " + parsed->host + ": " + ec.message());
  // Every address is checked, not only the one used: a name that also points inside is refused.
  if (!allow_private) {
    for (const auto& entry : results) {
      auto address = entry.endpoint().address();
      if (is_forbidden_webhook_address(address))
        throw ForbiddenTarget(parsed->host + " resolves to a forbidden address (" +
                              address.to_string() + ")");
    }
  }
  auto address = results.begin()->endpoint().address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  co_return ResolvedTarget{"http://" + host + ":" + std::to_string(parsed->port), parsed->authority,
                           parsed->target};
}

}  // namespace ordo::services::notifications
