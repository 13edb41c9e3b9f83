// A PostgreSQL conninfo taken apart with libpq's own parser, its host names resolved off the event
// loop (core::resolve_name), and the keywords that hand the addresses to libpq.
#include "platform/sql/postgres_conninfo.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <libpq-fe.h>

#include "platform/core/name_lookup.hpp"
#include "platform/sql/database.hpp"
#include "platform/sql/postgres_protocol.hpp"

namespace ordo::sql::pg {
namespace {
namespace asio = boost::asio;

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  for (;;) {
    auto comma = list.find(',', start);
    parts.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) {
      return parts;
    }
    start = comma + 1;
  }
}

std::string join(const std::vector<std::string>& parts) {
  std::string list;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    list += (i ? "," : "") + parts[i];
  }
  return list;
}

std::string option(const PQconninfoOption* options, std::string_view keyword) {
  for (const PQconninfoOption* o = options; o->keyword; ++o) {
    if (keyword == o->keyword) {
      return o->val ? o->val : "";
    }
  }
  return "";
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

ConnectTarget parse_connect_target(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    std::string message = "postgres: invalid database URL: " + trimmed(error);
    PQfreemem(error);
    throw Error(Error::Kind::connection, message);
  }
  std::string hosts = option(options, "host");
  std::string hostaddr = option(options, "hostaddr");
  std::string ports = option(options, "port");
  PQconninfoFree(options);
  // libpq falls back to the environment for what the conninfo leaves out.
  if (hosts.empty()) {
    hosts = environment("PGHOST");
  }
  if (hostaddr.empty()) {
    hostaddr = environment("PGHOSTADDR");
  }
  ConnectTarget target;
  if (!hostaddr.empty() || hosts.empty()) {
    return target;  // addresses given, or libpq's default Unix socket: nothing to resolve
  }
  std::vector<std::string> port_list = ports.empty() ? std::vector<std::string>{} : split(ports);
  target.ports_per_host = port_list.size() > 1;
  for (const std::string& host : split(hosts)) {
    ConnectHost entry;
    entry.host = host;
    if (target.ports_per_host && target.hosts.size() < port_list.size()) {
      entry.port = port_list[target.hosts.size()];
    }
    target.hosts.push_back(std::move(entry));
  }
  return target;
}

bool needs_lookup(const std::string& host) {
  if (host.empty() || host.front() == '/' || host.front() == '@') {
    return false;
  }
  return !core::is_numeric_address(host);
}

asio::awaitable<ConnectTarget> resolve_hosts(ConnectTarget target,
                                             std::chrono::milliseconds timeout,
                                             core::NameLookup lookup) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ConnectTarget resolved;
  resolved.ports_per_host = target.ports_per_host;
  std::string failures;
  for (ConnectHost& host : target.hosts) {
    if (!needs_lookup(host.host)) {
      resolved.hosts.push_back(std::move(host));
      continue;
    }
    auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now()),
                         std::chrono::milliseconds(1));
    try {
      host.addresses = co_await core::resolve_name(host.host, left, lookup);
      resolved.hosts.push_back(std::move(host));
    } catch (const core::LookupError& e) {
      failures += (failures.empty() ? "" : "; ") + std::string("postgres: ") + e.what();
    }
  }
  if (resolved.hosts.empty() && !failures.empty()) {
    throw Error(Error::Kind::connection, failures);
  }
  co_return resolved;
}

Keywords connect_keywords(const std::string& conninfo, const std::string& application_name,
                          const ConnectTarget& resolved) {
  Keywords keywords = {
      {"dbname", conninfo}, {"application_name", application_name}, {"client_encoding", "UTF8"}};
  bool any_address = false;
  for (const ConnectHost& host : resolved.hosts) {
    any_address = any_address || !host.addresses.empty();
  }
  if (!any_address) {
    return keywords;  // nothing resolved here: libpq reads the conninfo as it is
  }
  std::vector<std::string> hosts;
  std::vector<std::string> hostaddrs;
  std::vector<std::string> ports;
  for (const ConnectHost& host : resolved.hosts) {
    if (host.addresses.empty()) {
      hosts.push_back(host.host);
      hostaddrs.emplace_back();  // empty: libpq connects to host itself (a socket, a number)
      ports.push_back(host.port);
      continue;
    }
    for (const std::string& address : host.addresses) {
      hosts.push_back(host.host);
      hostaddrs.push_back(address);
      ports.push_back(host.port);
    }
  }
  keywords.emplace_back("host", join(hosts));
  keywords.emplace_back("hostaddr", join(hostaddrs));
  if (resolved.ports_per_host) {
    keywords.emplace_back("port", join(ports));
  }
  return keywords;
}

}  // namespace ordo::sql::pg
