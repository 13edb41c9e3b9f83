// The effective configuration: defaults < TOML file < ORDO_* environment < command-line flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "platform/http/server.hpp"

namespace ordo::config {

// The services of Ordo and their default ports (MISSION.md).
inline const std::vector<std::string>& service_names() {
  static const std::vector<std::string> names{"users", "products", "orders", "inventory",
                                              "notifications"};
  return names;
}

struct Config {
  std::string data_dir = "./data";
  std::string host = "127.0.0.1";
  std::uint16_t gateway_port = 3000;
  std::map<std::string, std::uint16_t> service_ports{{"users", 3001},
                                                     {"products", 3002},
                                                     {"orders", 3003},
                                                     {"inventory", 3004},
                                                     {"notifications", 3005}};
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
  // Gateway: active health checks of every upstream instance, ejection and retries.
  std::chrono::milliseconds health_interval{1'000};
  std::chrono::milliseconds health_timeout{500};
  int eject_after_failures = 3;
  std::chrono::milliseconds eject_duration{5'000};
  int upstream_retries = 2;  // other instances tried after the first
  // Event loops (threads) the gateway's connections are spread over, beside the services' one.
  int gateway_io_threads = 2;
  // The gateway is the public entry point: its /metrics (every service's counters) and the
  // details of its /ready (internal origins and their states) only when asked for. Services
  // always answer both on their own ports.
  bool gateway_expose_metrics = false;
  bool gateway_expose_details = false;
  // The built web UI (web/dist) the gateway serves at / and /admin; empty: web/ beside the
  // binary, else the source tree's web/dist.
  std::string gateway_web_dir;
  // Upstreams named by host name ("http://orders:3003"): the gateway keeps one instance per
  // address the name resolves to, looked up again this often (0: no discovery, the name is one
  // instance); the services' HTTP client (orders -> products) spreads requests over the
  // addresses and keeps them this long. hosts_file: a hosts(5)-format file consulted first.
  std::chrono::milliseconds upstreams_dns_refresh{5'000};
  std::string upstreams_hosts_file;
  // A relayed event stream silent for longer is closed (above stream_heartbeat).
  std::chrono::milliseconds gateway_stream_idle_timeout{60'000};
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
  // Tokens.
  std::string jwt_issuer = "ordo";
  std::string jwt_audience = "ordo-api";
  int access_token_ttl_s = 900;
  int refresh_token_ttl_s = 30 * 24 * 3600;
  // Verification keys (docs/security.md, "Signing keys"): only the users service holds private
  // keys; other processes verify with its JWKS, fetched from jwks_url (empty: in-process where
  // the users service runs here, else <users upstream>/.well-known/jwks.json), re-read every
  // jwks_refresh and at most once per jwks_unknown_kid_cooldown for a token of an unknown kid.
  // A starting process waits up to jwks_start_wait for the keys (it is not ready without them).
  std::string jwks_url;
  std::chrono::milliseconds jwks_refresh{300'000};
  std::chrono::milliseconds jwks_unknown_kid_cooldown{2'000};
  std::chrono::milliseconds jwks_start_wait{10'000};
  unsigned long long argon2_ops = 2;       // OWASP: t=2
  std::size_t argon2_memory_kib = 19'456;  // OWASP: 19 MiB
  // Login throttling (docs/security.md): budgets of wrong passwords within window per (account,
  // address), per account from anywhere and per address; a spent budget waits lockout, doubling
  // for each lockout in a row up to max_lockout.
  int login_max_failures_per_account_address = 5;
  int login_max_failures_per_account = 100;
  int login_max_failures_per_address = 20;
  int login_failure_window_s = 300;
  int login_lockout_s = 60;
  int login_max_lockout_s = 900;
  // Sign-ups per client address per window (docs/security.md).
  int register_max_per_address = 20;
  int register_window_s = 3600;
  // Gateway rate limits (token buckets).
  double rate_limit_client_per_s = 100;
  double rate_limit_client_burst = 200;
  double rate_limit_user_per_s = 50;
  double rate_limit_user_burst = 100;
  // Admission control (docs/architecture.md): each service admits at most this many requests of
  // a group at once; one more waits for a slot at most queue_wait (or the gateway's remaining
  // time, Ordo-Timeout-Ms, when sooner), then gets 503 with Retry-After.
  bool admission_enabled = true;
  std::size_t admission_read_max_in_flight = 64;
  std::size_t admission_write_max_in_flight = 16;
  std::size_t admission_password_max_in_flight = 0;  // 0: 8 × hash_threads
  std::chrono::milliseconds admission_queue_wait{250};
  std::vector<std::string> cors_allowed_origins{"*"};
  // Peers whose X-Forwarded-For a service believes (addresses or CIDR blocks): the gateway's.
  // Anyone else's header is ignored, so a client that reaches a service directly cannot pose as
  // another address. The default fits one machine (embedded mode, or every process on it).
  std::vector<std::string> trusted_proxies{"127.0.0.1", "::1"};
  // Inventory: a product's stock is "low" at or under this many units unless set per product.
  std::int64_t inventory_low_stock_threshold = 5;
  // Notifications (docs/notifications.md): the e-mail channel, on when smtp_url is set, and the
  // dispatcher's retries of failed deliveries (base, doubling, capped at max).
  std::string notifications_smtp_url;
  std::string notifications_email_from = "ordo@localhost";
  std::string notifications_email_templates_dir;
  // The SMS channel, on when sms_url (a Twilio-compatible API's base) is set.
  std::string notifications_sms_url;
  std::string notifications_sms_account;
  std::string notifications_sms_token;
  std::string notifications_sms_from;
  // The Web Push channel, on when push_enabled: its VAPID key (a P-256 PEM file made on first
  // start; empty path: <data_dir>/vapid-key.pem, shared by every notifications instance) and
  // the VAPID subject, a mailto: or https: contact for the push services.
  bool notifications_push_enabled = false;
  std::string notifications_vapid_key_path;
  std::string notifications_vapid_subject = "mailto:ordo@localhost";
  int notifications_retry_max_attempts = 5;
  std::chrono::milliseconds notifications_retry_base{1'000};
  std::chrono::milliseconds notifications_retry_max{60'000};
  // Webhooks (docs/notifications.md): each attempt's time limit, the retry backoff's base and
  // cap, how long an endpoint may keep failing before it is disabled, and whether private,
  // loopback and link-local addresses may be called (never in production: SSRF).
  std::chrono::milliseconds webhook_timeout{10'000};
  std::chrono::milliseconds webhook_retry_base{5'000};
  std::chrono::milliseconds webhook_retry_max{3'600'000};
  int webhook_disable_after_s = 3 * 86'400;
  bool webhook_allow_private = false;
  // The first admin, created at start when both are set (never a default password).
  std::string bootstrap_admin_email;
  std::string bootstrap_admin_password;

  std::vector<std::string> upstream_origins(const std::string& service) const;
  // http://host:port for a listener on this config's host: a wildcard bind address becomes its
  // loopback and an IPv6 literal gets its brackets.
  std::string local_origin(std::uint16_t port) const;
  // notifications_vapid_key_path, or its default beside the data.
  std::string vapid_key_path() const;
  // admission_password_max_in_flight, or its default when 0.
  std::size_t password_max_in_flight() const;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One named setting: its key in TOML ("gateway.port"), its environment variable, and how to read
// and show it. Every setting is listed once, in config.cpp.
struct Setting {
  std::string key;
  std::string help;
  bool secret = false;
  std::function<void(Config&, const std::string&)> set;  // throws ConfigError on a bad value
  std::function<std::string(const Config&)> get;
  std::string env_name() const;  // ORDO_GATEWAY_PORT for gateway.port
};
const std::vector<Setting>& settings();

// Builds the effective config. file: a TOML path (may be empty); environment: name -> value
// (pass the process environment); overrides: key -> value from flags, applied last.
Config load(const std::string& file, const std::map<std::string, std::string>& environment,
            const std::vector<std::pair<std::string, std::string>>& overrides);
std::map<std::string, std::string> process_environment();

// Every setting as "key = value" lines (TOML), with secrets masked.
std::string print(const Config& config);

}  // namespace ordo::config
