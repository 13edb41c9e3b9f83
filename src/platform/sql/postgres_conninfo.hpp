// Where a PostgreSQL URL points, with its host names resolved without blocking: given only a name,
// libpq would call getaddrinfo on the I/O thread inside PQconnectPoll (a slow DNS server then
// stalls every connection and request of the process).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/core/name_lookup.hpp"

namespace ordo::sql::pg {

struct ConnectHost {
  std::string host;  // as written: a name, a numeric address or a Unix-socket directory
  std::string port;  // this host's own port when the URL gives a list of them; else empty
  std::vector<std::string> addresses;  // what a name resolved to; empty: libpq takes host as is
};

struct ConnectTarget {
  std::vector<ConnectHost> hosts;  // empty: nothing to resolve (hostaddr given, or no host)
  bool ports_per_host = false;
};

// The hosts of a conninfo (URI or key=value) as libpq reads them, PGHOST when it names none.
// Throws sql::Error(connection) when libpq cannot parse the conninfo.
ConnectTarget parse_connect_target(const std::string& conninfo);

// False for Unix-socket directories ('/', or '@' for Linux's abstract namespace), numeric
// addresses and the empty host (libpq's default socket).
bool needs_lookup(const std::string& host);

// Resolves every host name of target (in turn, within timeout overall, each on a thread of its
// own: core::resolve_name, with lookup or the system's resolver); a name that resolves to nothing
// is left out. Throws sql::Error(connection) when no host is left.
boost::asio::awaitable<ConnectTarget> resolve_hosts(ConnectTarget target,
                                                    std::chrono::milliseconds timeout,
                                                    core::NameLookup lookup = {});

using Keywords = std::vector<std::pair<std::string, std::string>>;

// PQconnectStartParams' keywords, in order: the conninfo (expanded by libpq), then what overrides
// it. A resolved name becomes one host entry per address, each with its hostaddr, so libpq tries
// every address as it would have, keeps host for TLS (SNI, verify-full) and error messages, and
// never resolves anything itself.
Keywords connect_keywords(const std::string& conninfo, const std::string& application_name,
                          const ConnectTarget& resolved);

}  // namespace ordo::sql::pg
