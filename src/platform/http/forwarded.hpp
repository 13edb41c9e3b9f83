// Who the client is when a proxy stands between: X-Forwarded-For, believed only from the proxies
// configured as trusted (http.trusted_proxies). The gateway replaces the header with the address
// it saw, so behind it the header's last entry is the client; a client that reaches a service
// directly is its socket's peer, whatever header it sends.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "platform/http/message.hpp"

namespace ordo::http {

class TrustedProxies {
 public:
  // Entries are addresses ("10.0.0.5", "::1") or CIDR blocks ("10.0.0.0/8", "fd00::/8").
  // Throws std::invalid_argument for anything else.
  explicit TrustedProxies(const std::vector<std::string>& entries);
  static bool valid_entry(const std::string& entry);
  bool trusts(std::string_view address) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// The client's address: the last X-Forwarded-For entry when the peer is a trusted proxy, else the
// peer itself.
std::string client_address(const Request& request, const TrustedProxies& proxies);

}  // namespace ordo::http
