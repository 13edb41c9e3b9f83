// The effective configuration: defaults < TOML file < ORDO_* environment < command-line flags.
#pragma once

#include <any>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "platform/config/setting.hpp"
#include "platform/http/server.hpp"

namespace ordo::config {

struct Config {
  std::string data_dir = "./data";
  std::string host = "127.0.0.1";
  // Every service's port (<name>.port), its default declared by the service when it registers.
  std::map<std::string, std::uint16_t> service_ports;
  // service -> instance origins ("http://127.0.0.1:3001"); empty means host + service port.
  std::map<std::string, std::vector<std::string>> upstreams;
  std::string database_url;       // empty: SQLite files in data_dir
  std::string bus_url = "local";  // the in-process bus
  // Distributed mode: one schema per service in database_url; the broker's stream, exchange,
  // queues and consumers are named from bus_namespace, so deployments can share a broker.
  int database_pool_size = 4;
  std::chrono::milliseconds database_statement_timeout{5'000};
  // Schema migrations (sql::MigrationOptions): how long an instance waits in all for another
  // instance's migration, and how long a migration transaction may sit idle before the server
  // ends it (freeing the migration lock a stalled instance holds).
  std::chrono::milliseconds database_migration_lock_wait{60'000};
  std::chrono::milliseconds database_migration_idle_timeout{10'000};
  std::string bus_namespace = "ordo";
  int bus_max_deliver = 5;  // deliveries of a failing event before it is dead-lettered
  // An event handed to an instance that died is redelivered to another after this long.
  std::chrono::milliseconds bus_ack_wait{10'000};
  // Consumers take up to this many waiting events at once, handled in one transaction; a batch
  // that is not full may wait this long for more, only when two or more events are waiting.
  std::size_t bus_batch_size = 64;
  std::chrono::milliseconds bus_batch_wait{0};
  http::ServerLimits limits;
  std::chrono::milliseconds upstream_timeout{10'000};
  // Upstreams named by host name ("http://orders:3003"): the gateway keeps one instance per
  // address the name resolves to, looked up again this often (0: no discovery, the name is one
  // instance); the services' HTTP client (orders -> products) spreads requests over the
  // addresses and keeps them this long. hosts_file: a hosts(5)-format file consulted first.
  std::chrono::milliseconds upstreams_dns_refresh{5'000};
  std::string upstreams_hosts_file;
  // Event streams (docs/streams.md): heartbeat comments, the re-read interval that catches
  // changes made elsewhere, and how many one instance of a service serves at once.
  std::chrono::milliseconds stream_heartbeat{15'000};
  std::chrono::milliseconds stream_poll{250};
  std::size_t stream_max_open = 1'000;
  std::chrono::milliseconds shutdown_grace{10'000};
  std::string log_level = "info";
  bool access_log = true;
  bool http_compress = true;  // gzip for clients that accept it (platform/http/compression.hpp)
  // Overwriting writes (a product's PATCH and DELETE, a stock level's PUT) must name the version
  // they were decided on (If-Match), else 428: no silent lost updates.
  bool require_if_match = true;
  std::string sqlite_synchronous = "NORMAL";
  int sqlite_readers = 2;
  int hash_threads = 2;  // the password-hashing pool
  // Access tokens: what every process checks in them.
  std::string jwt_issuer = "ordo";
  std::string jwt_audience = "ordo-api";
  // Verification keys (docs/security.md, "Signing keys"): only the users service holds private
  // keys; other processes verify with its JWKS, fetched from jwks_url (empty: in-process where
  // the users service runs here, else <users upstream>/.well-known/jwks.json), re-read every
  // jwks_refresh and at most once per jwks_unknown_kid_cooldown for a token of an unknown kid.
  // A starting process waits up to jwks_start_wait for the keys (it is not ready without them).
  std::string jwks_url;
  std::chrono::milliseconds jwks_refresh{300'000};
  std::chrono::milliseconds jwks_unknown_kid_cooldown{2'000};
  std::chrono::milliseconds jwks_start_wait{10'000};
  // Admission control (docs/architecture.md): each service admits at most this many requests of
  // a group at once; one more waits for a slot at most queue_wait (or the gateway's remaining
  // time, Ordo-Timeout-Ms, when sooner), then gets 503 with Retry-After.
  bool admission_enabled = true;
  std::size_t admission_read_max_in_flight = 64;
  std::size_t admission_write_max_in_flight = 16;
  std::size_t admission_password_max_in_flight = 0;  // 0: 8 × hash_threads
  std::chrono::milliseconds admission_queue_wait{250};
  // Peers whose X-Forwarded-For a service believes (addresses or CIDR blocks): the gateway's.
  // Anyone else's header is ignored, so a client that reaches a service directly cannot pose as
  // another address. The default fits one machine (embedded mode, or every process on it).
  std::vector<std::string> trusted_proxies{"127.0.0.1", "::1"};

  std::vector<std::string> upstream_origins(const std::string& service) const;
  // http://host:port for a listener on this config's host: a wildcard bind address becomes its
  // loopback and an IPv6 literal gets its brackets.
  std::string local_origin(std::uint16_t port) const;
  // admission_password_max_in_flight, or its default when 0.
  std::size_t password_max_in_flight() const;
  // <service>.port; a ConfigError for a service nobody registered.
  std::uint16_t port(const std::string& service) const;

  // Every registered section's defaults.
  Config();

  // A component's settings (the struct it registered a Section over), its defaults when it was
  // never set.
  template <typename Values>
  Values& section() {
    auto it = sections_.find(std::type_index(typeid(Values)));
    if (it == sections_.end())
      it = sections_.emplace(std::type_index(typeid(Values)), Values{}).first;
    return std::any_cast<Values&>(it->second);
  }
  template <typename Values>
  const Values& section() const {
    static const Values defaults{};
    auto it = sections_.find(std::type_index(typeid(Values)));
    return it == sections_.end() ? defaults : std::any_cast<const Values&>(it->second);
  }

 private:
  std::map<std::type_index, std::any> sections_;
};

namespace detail {
template <typename Owner, typename AnyConfig>
auto& owner(AnyConfig& config) {
  if constexpr (std::is_same_v<Owner, Config>)
    return config;
  else if constexpr (std::is_same_v<Owner, http::ServerLimits>)
    return config.limits;
  else
    return config.template section<Owner>();
}
}  // namespace detail

// Every setting: the process's, then each registered section's.
const std::vector<Setting>& settings();

// Builds the effective config. file: a TOML path (may be empty); environment: name -> value
// (pass the process environment); overrides: key -> value from flags, applied last.
Config load(const std::string& file, const std::map<std::string, std::string>& environment,
            const std::vector<std::pair<std::string, std::string>>& overrides);
std::map<std::string, std::string> process_environment();

// One setting's value as text, by key (what `config print` shows, unmasked): for code that reads
// a component's setting without its header. A ConfigError for an unknown key.
std::string value_of(const Config& config, const std::string& key);

// Every setting as "key = value" lines (TOML), with secrets masked.
std::string print(const Config& config);

}  // namespace ordo::config
