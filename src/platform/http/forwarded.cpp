#include "platform/http/forwarded.hpp"

#include <stdexcept>

#include <boost/asio/ip/address.hpp>

#include "platform/http/header_values.hpp"

namespace ordo::http {
namespace ip = boost::asio::ip;

namespace {

// An address, with a v4-mapped IPv6 address ("::ffff:10.0.0.1") taken as the IPv4 one.
std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(trim_ows(text)), ec);
  if (ec)
    return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    boost::system::error_code ec;
    if (entry.find('/') == std::string::npos) {
      auto address = parse_address(entry);
      if (!address)
        throw std::invalid_argument("not an address: " + entry);
      if (address->is_v4())
        v4_.push_back(ip::network_v4(address->to_v4(), 32));
      else
        v6_.push_back(ip::network_v6(address->to_v6(), 128));
      continue;
    }
    auto v4 = ip::make_network_v4(entry, ec);
    if (!ec) {
      v4_.push_back(v4);
      continue;
    }
    ec.clear();
    auto v6 = ip::make_network_v6(entry, ec);
    if (ec)
      throw std::invalid_argument("not a CIDR block: " + entry);
    v6_.push_back(v6);
  }
}

bool TrustedProxies::valid_entry(const std::string& entry) {
  try {
    TrustedProxies one({entry});
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

bool TrustedProxies::trusts(std::string_view text) const {
  auto address = parse_address(text);
  if (!address)
    return false;
  if (address->is_v4()) {
    ip::network_v4 host(address->to_v4(), 32);
    for (const auto& network : v4_) {
      if (host == network || host.is_subnet_of(network))
        return true;
    }
    return false;
  }
  ip::network_v6 host(address->to_v6(), 128);
  for (const auto& network : v6_) {
    if (host == network || host.is_subnet_of(network))
      return true;
  }
  return false;
}

std::string client_address(const Request& request, const TrustedProxies& proxies) {
  auto forwarded = request.headers.get("X-Forwarded-For");
  if (!forwarded || !proxies.trusts(request.remote_address))
    return request.remote_address;
  auto last = forwarded->rfind(',');
  auto entry = trim_ows(last == std::string_view::npos ? *forwarded : forwarded->substr(last + 1));
  // A header that names no address is the proxy's mistake, not a new identity.
  if (!parse_address(entry))
    return request.remote_address;
  return std::string(entry);
}

}  // namespace ordo::http
