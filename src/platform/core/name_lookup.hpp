// Host names resolved without blocking an event loop. getaddrinfo cannot be cancelled and may
// wait tens of seconds on a DNS server that drops queries (issue 14: a container network's); so
// each lookup runs on a thread of its own and the caller waits on a timer, bounded.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace ordo::core {

// A blocking lookup: a host name to its numeric addresses ("10.0.0.5", "fd00::5"), without
// duplicates, in the resolver's order; empty when the name has none. Always called off the event
// loops. Tests inject one (several loopback addresses for one name, an answer that changes).
using NameLookup = std::function<std::vector<std::string>(const std::string& name)>;

// The system's resolver (getaddrinfo: /etc/hosts, then DNS), TCP addresses of either family.
std::vector<std::string> system_lookup(const std::string& name);

// Names from a hosts(5)-format file ("127.0.0.2 products.internal"), read again at every call so
// edits take effect; a name the file does not hold goes to system_lookup. For deployments and
// tests that cannot edit /etc/hosts.
NameLookup hosts_file_lookup(std::string path);

// A numeric IPv4 or IPv6 address (no brackets): nothing to look up.
bool is_numeric_address(std::string_view host);

class LookupError : public std::runtime_error {
 public:
  LookupError(const std::string& what, bool timed_out)
      : std::runtime_error(what), timed_out_(timed_out) {}
  bool timed_out() const { return timed_out_; }

 private:
  bool timed_out_;
};

// The addresses of name, looked up by `lookup` (empty: system_lookup) on a thread of its own
// while the calling coroutine waits at most timeout; a numeric address comes back as it is.
// Throws LookupError when the name has no address, the lookup failed or did not answer in time
// (a late answer is dropped), or too many lookups are already stuck.
boost::asio::awaitable<std::vector<std::string>> resolve_name(std::string name,
                                                              std::chrono::milliseconds timeout,
                                                              NameLookup lookup = {});

}  // namespace ordo::core
