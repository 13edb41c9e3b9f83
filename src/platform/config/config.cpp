#include "platform/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <toml++/toml.h>
#include <boost/asio/ip/address.hpp>

#include "platform/http/forwarded.hpp"
#include "platform/log/log.hpp"

extern char** environ;

namespace ordo::config {
namespace {

template <typename T>
T parse_number(const std::string& key, const std::string& text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    throw ConfigError("setting " + key + ": '" + text + "' is not a valid number");
  }
  return value;
}

// Shortest text that reads back as the same value (an ostream would round doubles to 6 digits).
template <typename T>
std::string number_text(T value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

template <typename T>
Setting number(std::string key, std::string help, T Config::*member, T min, T max) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member, min, max](Config& c, const std::string& text) {
    T value = parse_number<T>(key, text);
    // Written so that NaN (from_chars reads "nan") is out of every range.
    if (!(value >= min && value <= max)) {
      throw ConfigError("setting " + key + ": " + text + " is out of range [" + number_text(min) +
                        ", " + number_text(max) + "]");
    }
    c.*member = value;
  };
  s.get = [member](const Config& c) { return number_text(c.*member); };
  return s;
}

Setting text(std::string key, std::string help, std::string Config::*member, bool secret = false) {
  Setting s{key, std::move(help), secret, nullptr, nullptr};
  s.set = [member](Config& c, const std::string& value) { c.*member = value; };
  s.get = [member](const Config& c) { return c.*member; };
  return s;
}

Setting flag(std::string key, std::string help, bool Config::*member) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member](Config& c, const std::string& value) {
    if (value == "true" || value == "1" || value == "yes") {
      c.*member = true;
    } else if (value == "false" || value == "0" || value == "no") {
      c.*member = false;
    } else {
      throw ConfigError("setting " + key + ": '" + value + "' is not true or false");
    }
  };
  s.get = [member](const Config& c) { return std::string(c.*member ? "true" : "false"); };
  return s;
}

Setting millis(std::string key, std::string help, std::chrono::milliseconds Config::*member,
               long long min = 1) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member, min](Config& c, const std::string& value) {
    auto ms = parse_number<long long>(key, value);
    if (ms < min || ms > 3'600'000)
      throw ConfigError("setting " + key + ": out of range");
    c.*member = std::chrono::milliseconds(ms);
  };
  s.get = [member](const Config& c) { return std::to_string((c.*member).count()); };
  return s;
}

Setting limit_millis(std::string key, std::string help,
                     std::chrono::milliseconds http::ServerLimits::*member) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member](Config& c, const std::string& value) {
    auto ms = parse_number<long long>(key, value);
    if (ms < 1 || ms > 3'600'000)
      throw ConfigError("setting " + key + ": out of range");
    c.limits.*member = std::chrono::milliseconds(ms);
  };
  s.get = [member](const Config& c) { return std::to_string((c.limits.*member).count()); };
  return s;
}

Setting limit_size(std::string key, std::string help, std::size_t http::ServerLimits::*member,
                   std::size_t min, std::size_t max) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member, min, max](Config& c, const std::string& value) {
    auto n = parse_number<std::size_t>(key, value);
    if (n < min || n > max)
      throw ConfigError("setting " + key + ": out of range");
    c.limits.*member = n;
  };
  s.get = [member](const Config& c) { return std::to_string(c.limits.*member); };
  return s;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(value);
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty())
      items.push_back(item);
  }
  return items;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

std::vector<Setting> make_settings() {
  std::vector<Setting> all{
      text("data_dir", "directory of the SQLite files and the signing key", &Config::data_dir),
      text("host", "address every listener binds to", &Config::host),
      number<std::uint16_t>("gateway.port", "the gateway's port", &Config::gateway_port, 0, 65535),
      text("database_url", "postgresql://... to use PostgreSQL; empty for SQLite in data_dir",
           &Config::database_url, true),
      text("bus_url", "local (in-process), nats://host:port or amqp://...", &Config::bus_url, true),
      number<int>("database.pool_size", "PostgreSQL connections per service",
                  &Config::database_pool_size, 1, 256),
      millis("database.statement_timeout_ms", "PostgreSQL statements slower than this fail",
             &Config::database_statement_timeout),
      millis("database.migration_lock_wait_ms",
             "PostgreSQL: how long a starting instance waits in all for another instance's schema "
             "migration (short lock waits, retried with backoff) before it fails and retries later",
             &Config::database_migration_lock_wait, 1),
      millis("database.migration_idle_timeout_ms",
             "PostgreSQL: a migration transaction idle this long (its instance stalled) is ended "
             "by the server, which frees the migration lock",
             &Config::database_migration_idle_timeout, 1),
      text("bus.namespace", "prefix of the broker's stream, exchange, queues and consumers",
           &Config::bus_namespace),
      number<int>("bus.max_deliver", "deliveries of a failing event before it is dead-lettered",
                  &Config::bus_max_deliver, 1, 1000),
      millis("bus.ack_wait_ms", "an unacknowledged event is redelivered after this long",
             &Config::bus_ack_wait),
      number<std::size_t>("bus.batch_size",
                          "events a consumer takes at once and handles in one transaction "
                          "(above 64, PostgreSQL's subtransaction cache overflows)",
                          &Config::bus_batch_size, 1, 1000),
      millis("bus.batch_wait_ms",
             "how long a batch may wait to fill when two or more events are waiting (a lone "
             "event never waits); 0: never",
             &Config::bus_batch_wait, 0),
      text("log.level", "debug, info, warn, error or off", &Config::log_level),
      flag("log.access", "one log line per request", &Config::access_log),
      limit_size("http.max_body_bytes", "larger request bodies get 413",
                 &http::ServerLimits::max_body_bytes, 1, 1ull << 30),
      limit_size("http.max_header_bytes", "larger request heads get 431",
                 &http::ServerLimits::max_header_bytes, 1024, 1 << 20),
      limit_size("http.max_target_bytes",
                 "longer request targets (path and query) get 414; keep it below "
                 "http.max_header_bytes",
                 &http::ServerLimits::max_target_bytes, 256, 1 << 20),
      flag("http.compress",
           "gzip answers of 1 KB or more (JSON, text, scripts, SVG) for clients that accept it",
           &Config::http_compress),
      flag("http.require_if_match",
           "PATCH and DELETE of a product and PUT of a stock level need If-Match (else 428)",
           &Config::require_if_match),
      limit_size("http.max_connections", "connections beyond it are refused",
                 &http::ServerLimits::max_connections, 1, 1'000'000),
      limit_millis("http.header_timeout_ms", "time allowed to send a request head",
                   &http::ServerLimits::header_timeout),
      limit_millis("http.body_timeout_ms", "time allowed to send a request body",
                   &http::ServerLimits::body_timeout),
      limit_millis("http.idle_timeout_ms", "keep-alive connections idle longer are closed",
                   &http::ServerLimits::idle_timeout),
      millis("http.upstream_timeout_ms", "gateway: an upstream slower than this gets 504",
             &Config::upstream_timeout),
      millis("upstreams.dns_refresh_ms",
             "an upstream given by host name (http://orders:3003) is one instance per address "
             "the name resolves to (several replicas behind one DNS name), looked up again this "
             "often by the gateway; the services' HTTP client (orders -> products) spreads its "
             "requests over them too; 0: no discovery (the name is one instance)",
             &Config::upstreams_dns_refresh, 0),
      text("upstreams.hosts_file",
           "a hosts(5)-format file consulted for upstream host names before the system's "
           "resolver, re-read at each lookup; empty: none",
           &Config::upstreams_hosts_file),
      millis("gateway.health_interval_ms",
             "gateway: GET /ready on every upstream instance this often", &Config::health_interval),
      millis("gateway.health_timeout_ms", "gateway: a health check slower than this failed",
             &Config::health_timeout),
      number<int>(
          "gateway.eject_after_failures",
          "gateway: consecutive failures (requests or health checks) that eject an instance",
          &Config::eject_after_failures, 1, 1'000),
      millis("gateway.eject_ms",
             "gateway: an ejected instance gets a probe request after this (a passing health "
             "check readmits it sooner)",
             &Config::eject_duration),
      millis("gateway.stream_idle_timeout_ms",
             "gateway: a relayed event stream (text/event-stream) that sends nothing, not even a "
             "heartbeat, for this long is closed; keep it above streams.heartbeat_ms",
             &Config::gateway_stream_idle_timeout, 1),
      number<int>("gateway.retries",
                  "gateway: other instances an idempotent request is retried on (0: none)",
                  &Config::upstream_retries, 0, 10),
      number<int>("gateway.io_threads",
                  "gateway: threads (event loops) its connections are spread over, beside the "
                  "services' own",
                  &Config::gateway_io_threads, 1, 64),
      flag("gateway.expose_metrics",
           "gateway: answer GET /metrics on the public port (the services always do on theirs)",
           &Config::gateway_expose_metrics),
      flag("gateway.expose_details",
           "gateway: /ready lists every service and upstream instance (else only its status)",
           &Config::gateway_expose_details),
      text("gateway.web_dir",
           "gateway: directory of the built web UI (web/dist) served at / and /admin; empty: "
           "web/ beside the binary, else the source tree's web/dist",
           &Config::gateway_web_dir),
      millis("http.shutdown_grace_ms", "time in-flight requests get to finish on SIGTERM",
             &Config::shutdown_grace),
      text("sqlite.synchronous", "NORMAL (survives kill -9) or FULL (survives power loss)",
           &Config::sqlite_synchronous),
      number<int>("sqlite.readers", "reader threads per database", &Config::sqlite_readers, 1, 64),
      number<int>("auth.hash_threads", "threads hashing passwords", &Config::hash_threads, 1, 64),
      text("auth.issuer", "the iss claim of access tokens", &Config::jwt_issuer),
      text("auth.audience", "the aud claim of access tokens", &Config::jwt_audience),
      number<int>("auth.access_token_ttl_s", "access token lifetime", &Config::access_token_ttl_s,
                  30, 86'400),
      number<int>("auth.refresh_token_ttl_s", "refresh token lifetime",
                  &Config::refresh_token_ttl_s, 60, 365 * 86'400),
      text("auth.jwks_url",
           "where processes without the users service fetch the token verification keys "
           "(comma-separated URLs, tried in turn); empty: in-process where the users service "
           "runs, else each users upstream's /.well-known/jwks.json",
           &Config::jwks_url),
      millis("auth.jwks_refresh_ms", "how often the verification keys (JWKS) are fetched again",
             &Config::jwks_refresh, 1'000),
      millis("auth.jwks_unknown_kid_cooldown_ms",
             "a token signed with an unknown key fetches the JWKS again at most this often",
             &Config::jwks_unknown_kid_cooldown, 0),
      millis("auth.jwks_start_wait_ms",
             "how long a starting process waits for the verification keys before it logs ready "
             "(its /ready answers 503 until it has them)",
             &Config::jwks_start_wait, 0),
      number<unsigned long long>("auth.argon2_ops", "Argon2id passes (OWASP: 2)",
                                 &Config::argon2_ops, 1, 10),
      number<std::size_t>("auth.argon2_memory_kib", "Argon2id memory (OWASP: 19456 KiB)",
                          &Config::argon2_memory_kib, 8, 1 << 22),
      number<int>("auth.login_max_failures_per_account_address",
                  "failed logins for one account from one address before a lockout",
                  &Config::login_max_failures_per_account_address, 1, 1'000'000),
      number<int>("auth.login_max_failures_per_account",
                  "failed logins for one account from anywhere before a lockout",
                  &Config::login_max_failures_per_account, 1, 1'000'000),
      number<int>("auth.login_max_failures_per_address", "failed logins per client address",
                  &Config::login_max_failures_per_address, 1, 1'000'000),
      number<int>("auth.login_failure_window_s", "window that failures are counted in",
                  &Config::login_failure_window_s, 1, 86'400),
      number<int>("auth.login_lockout_s", "how long a throttled login waits (the first time)",
                  &Config::login_lockout_s, 1, 86'400),
      number<int>("auth.login_max_lockout_s", "the longest wait, as lockouts in a row double",
                  &Config::login_max_lockout_s, 1, 86'400),
      number<int>("auth.register_max_per_address", "sign-ups per client address per window",
                  &Config::register_max_per_address, 1, 1'000'000'000),
      number<int>("auth.register_window_s", "the window sign-ups are counted in",
                  &Config::register_window_s, 1, 86'400),
      number<double>("rate_limit.client_per_s", "requests/s per client address",
                     &Config::rate_limit_client_per_s, 0.01, 1e9),
      number<double>("rate_limit.client_burst", "burst per client address",
                     &Config::rate_limit_client_burst, 1, 1e9),
      number<double>("rate_limit.user_per_s", "requests/s per authenticated user",
                     &Config::rate_limit_user_per_s, 0.01, 1e9),
      number<double>("rate_limit.user_burst", "burst per authenticated user",
                     &Config::rate_limit_user_burst, 1, 1e9),
      flag("admission.enabled",
           "services refuse requests past their groups' limits (503 + Retry-After) instead of "
           "queueing them without bound",
           &Config::admission_enabled),
      number<std::size_t>("admission.read_max_in_flight",
                          "GET/HEAD requests a service runs at once (each a short read)",
                          &Config::admission_read_max_in_flight, 1, 100'000),
      number<std::size_t>("admission.write_max_in_flight",
                          "other requests a service runs at once (they queue for the database's "
                          "one writer or its pool)",
                          &Config::admission_write_max_in_flight, 1, 100'000),
      number<std::size_t>("admission.password_max_in_flight",
                          "logins and sign-ups (an Argon2id hash each) the users service runs at "
                          "once; 0: 8 x auth.hash_threads",
                          &Config::admission_password_max_in_flight, 0, 100'000),
      millis("admission.queue_wait_ms",
             "how long a request past its group's limit waits for a slot before a 503; 0: none",
             &Config::admission_queue_wait, 0),
      millis("streams.heartbeat_ms",
             "event streams (GET /orders/{id}/events, /notifications/stream) send a comment "
             "this often so that proxies keep the connection",
             &Config::stream_heartbeat, 1),
      millis("streams.poll_ms",
             "event streams re-read what they follow this often (changes made by other "
             "instances or processes; this instance's own wake them at once)",
             &Config::stream_poll, 1),
      number<std::size_t>("streams.max_open",
                          "event streams one instance of a service serves at once; past it 503",
                          &Config::stream_max_open, 1, 1'000'000),
      number<std::int64_t>("inventory.low_stock_threshold",
                           "default low-stock threshold of new products",
                           &Config::inventory_low_stock_threshold, 0, 1'000'000'000),
      text("notifications.smtp_url",
           "smtp://[user:password@]host:port (STARTTLS when offered) or smtps://...: e-mail "
           "notifications through this server; empty: no e-mail",
           &Config::notifications_smtp_url, true),
      text("notifications.email_from", "the From of notification e-mails: a@b or Name <a@b>",
           &Config::notifications_email_from),
      text("notifications.email_templates_dir",
           "directory whose <event type>.txt / .html files replace the built-in e-mail templates",
           &Config::notifications_email_templates_dir),
      text("notifications.sms_url",
           "http://host:port/2010-04-01: SMS notifications through this Twilio-compatible API "
           "(POST .../Accounts/{account}/Messages.json); empty: no SMS",
           &Config::notifications_sms_url),
      text("notifications.sms_account", "the SMS provider's account id (Basic auth user)",
           &Config::notifications_sms_account),
      text("notifications.sms_token", "the SMS provider's auth token (Basic auth password)",
           &Config::notifications_sms_token, true),
      text("notifications.sms_from", "the sender of SMS notifications: a number or sender id",
           &Config::notifications_sms_from),
      flag("notifications.push_enabled",
           "Web Push notifications to the browsers users subscribe (needs the VAPID key)",
           &Config::notifications_push_enabled),
      text("notifications.vapid_key_path",
           "the VAPID key (P-256 PEM), made on first start; empty: <data_dir>/vapid-key.pem",
           &Config::notifications_vapid_key_path),
      text("notifications.vapid_subject",
           "the VAPID sub: a mailto: or https: contact the push services can reach",
           &Config::notifications_vapid_subject),
      number<int>("notifications.retry_max_attempts",
                  "delivery attempts of a notification before it is failed",
                  &Config::notifications_retry_max_attempts, 1, 1'000),
      millis("notifications.retry_base_ms",
             "wait before the first retry of a failed delivery; doubles for each one after",
             &Config::notifications_retry_base, 0),
      millis("notifications.retry_max_ms", "the longest wait between two delivery attempts",
             &Config::notifications_retry_max, 0),
      millis("notifications.webhook_timeout_ms",
             "webhooks: an attempt (connect, send, answer) slower than this has failed",
             &Config::webhook_timeout),
      millis("notifications.webhook_retry_base_ms",
             "webhooks: the first retry's wait; each later one doubles (with jitter)",
             &Config::webhook_retry_base),
      millis("notifications.webhook_retry_max_ms", "webhooks: the longest wait between retries",
             &Config::webhook_retry_max),
      number<int>("notifications.webhook_disable_after_s",
                  "webhooks: an endpoint failing for this long is disabled",
                  &Config::webhook_disable_after_s, 1, 30 * 86'400),
      flag("notifications.webhook_allow_private",
           "webhooks: allow loopback, private and link-local targets (tests only: SSRF)",
           &Config::webhook_allow_private),
      text("admin.email", "bootstrap admin created at start (with admin.password)",
           &Config::bootstrap_admin_email),
      text("admin.password", "bootstrap admin password", &Config::bootstrap_admin_password, true),
  };
  for (const auto& service : service_names()) {
    Setting port{service + ".port", "the " + service + " service's port", false, nullptr, nullptr};
    port.set = [service, key = port.key](Config& c, const std::string& value) {
      c.service_ports[service] = parse_number<std::uint16_t>(key, value);
    };
    port.get = [service](const Config& c) { return std::to_string(c.service_ports.at(service)); };
    all.push_back(std::move(port));
    Setting upstream{service + ".upstreams",
                     "gateway: comma-separated origins of the " + service + " instances", false,
                     nullptr, nullptr};
    upstream.set = [service](Config& c, const std::string& value) {
      c.upstreams[service] = split_list(value);
    };
    upstream.get = [service](const Config& c) { return join_list(c.upstream_origins(service)); };
    all.push_back(std::move(upstream));
  }
  Setting cors{"cors.allowed_origins", "comma-separated origins, or *", false, nullptr, nullptr};
  cors.set = [](Config& c, const std::string& value) {
    c.cors_allowed_origins = split_list(value);
  };
  cors.get = [](const Config& c) { return join_list(c.cors_allowed_origins); };
  all.push_back(std::move(cors));
  Setting proxies{"http.trusted_proxies",
                  "comma-separated addresses or CIDR blocks whose X-Forwarded-For is believed",
                  false, nullptr, nullptr};
  proxies.set = [](Config& c, const std::string& value) {
    auto items = split_list(value);
    for (const auto& item : items) {
      if (!http::TrustedProxies::valid_entry(item))
        throw ConfigError("http.trusted_proxies: not an address or CIDR block: '" + item + "'");
    }
    c.trusted_proxies = items;
  };
  proxies.get = [](const Config& c) { return join_list(c.trusted_proxies); };
  all.push_back(std::move(proxies));
  return all;
}

const Setting* find_setting(const std::string& key) {
  for (const auto& s : settings()) {
    if (s.key == key)
      return &s;
  }
  return nullptr;
}

void apply(Config& config, const std::string& key, const std::string& value,
           const std::string& origin) {
  const Setting* setting = find_setting(key);
  if (setting == nullptr)
    throw ConfigError(origin + ": unknown setting '" + key + "'");
  setting->set(config, value);
}

std::string toml_value_text(const toml::node& node) {
  if (auto s = node.value<std::string>())
    return *s;
  if (node.is_integer())
    return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point())
    return number_text(*node.value<double>());
  if (node.is_boolean())
    return *node.value<bool>() ? "true" : "false";
  if (const auto* array = node.as_array()) {
    std::vector<std::string> items;
    for (const auto& item : *array)
      items.push_back(toml_value_text(item));
    return join_list(items);
  }
  throw ConfigError("unsupported TOML value type");
}

void apply_table(Config& config, const toml::table& table, const std::string& prefix,
                 const std::string& file) {
  for (const auto& [name, node] : table) {
    std::string key =
        prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (const auto* sub = node.as_table()) {
      apply_table(config, *sub, key, file);
    } else {
      apply(config, key, toml_value_text(node), file);
    }
  }
}

// Length of the well-formed UTF-8 sequence at text[pos] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when there is none.
std::size_t utf8_sequence(std::string_view text, std::size_t pos) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead < 0x80   ? 1
                       : lead < 0xC2 ? 0
                       : lead < 0xE0 ? 2
                       : lead < 0xF0 ? 3
                       : lead < 0xF5 ? 4
                                     : 0;
  if (length == 0 || pos + length > text.size())
    return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80)
      return 0;
  }
  unsigned char second = length > 1 ? byte(1) : 0;
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
      (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F))
    return 0;
  return length;
}

// The inside of a TOML basic string holding `value`. A value from the environment or a flag may
// hold anything, but print() promises TOML, one line per setting: quotes and backslashes are
// escaped, control characters written as \uXXXX, and bytes that are not UTF-8 (which a TOML file
// cannot hold) shown as U+FFFD.
std::string toml_string_body(std::string_view value) {
  std::string out;
  for (std::size_t pos = 0; pos < value.size();) {
    auto c = static_cast<unsigned char>(value[pos]);
    std::size_t length = utf8_sequence(value, pos);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++pos;
      continue;
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04X", c);
      out += escaped;
    } else {
      out.append(value.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

// A bind address: an IPv4 or IPv6 literal, or a host name of RFC 1123 labels. Anything else
// (a comma, a port, a scheme) would also end up inside the default upstream origins.
bool valid_listen_host(const std::string& host) {
  boost::system::error_code error;
  boost::asio::ip::make_address(host, error);
  if (!error)
    return true;
  if (host.empty() || host.size() > 253)
    return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63 || host[i - 1] == '-' || host[i - label] == '-')
        return false;
      label = 0;
      continue;
    }
    auto c = static_cast<unsigned char>(host[i]);
    if (!std::isalnum(c) && c != '-')
      return false;
    ++label;
  }
  return true;
}

void validate(const Config& config) {
  if (!valid_listen_host(config.host)) {
    throw ConfigError("host must be an IP address or a host name, not '" + config.host + "'");
  }
  log::Level ignored;
  if (!log::parse_level(config.log_level, ignored)) {
    throw ConfigError("log.level must be debug, info, warn, error or off");
  }
  static const std::vector<std::string> modes{"OFF", "NORMAL", "FULL", "EXTRA"};
  if (std::find(modes.begin(), modes.end(), config.sqlite_synchronous) == modes.end()) {
    throw ConfigError("sqlite.synchronous must be OFF, NORMAL, FULL or EXTRA");
  }
  const auto& smtp_url = config.notifications_smtp_url;
  if (!smtp_url.empty() && smtp_url.rfind("smtp://", 0) != 0 && smtp_url.rfind("smtps://", 0) != 0)
    throw ConfigError("notifications.smtp_url must start with smtp:// or smtps://");
  if (!smtp_url.empty() && config.notifications_email_from.find('@') == std::string::npos)
    throw ConfigError("notifications.email_from must be an e-mail address");
  const auto& sms_url = config.notifications_sms_url;
  if (!sms_url.empty() && sms_url.rfind("http://", 0) != 0)
    throw ConfigError("notifications.sms_url must start with http://");
  if (!sms_url.empty() &&
      (config.notifications_sms_account.empty() || config.notifications_sms_from.empty()))
    throw ConfigError("notifications.sms_url needs notifications.sms_account and sms_from");
  const auto& subject = config.notifications_vapid_subject;
  if (subject.rfind("mailto:", 0) != 0 && subject.rfind("https://", 0) != 0)
    throw ConfigError("notifications.vapid_subject must be a mailto: or https:// URL");
  if (config.notifications_retry_max < config.notifications_retry_base)
    throw ConfigError("notifications.retry_max_ms must not be below notifications.retry_base_ms");
  if (config.bootstrap_admin_email.empty() != config.bootstrap_admin_password.empty()) {
    throw ConfigError("admin.email and admin.password must be set together");
  }
  if (config.webhook_retry_base > config.webhook_retry_max) {
    throw ConfigError(
        "notifications.webhook_retry_base_ms must not exceed notifications.webhook_retry_max_ms");
  }
}

}  // namespace

std::string Config::vapid_key_path() const {
  if (!notifications_vapid_key_path.empty())
    return notifications_vapid_key_path;
  return (std::filesystem::path(data_dir) / "vapid-key.pem").string();
}

std::vector<std::string> Config::upstream_origins(const std::string& service) const {
  if (auto it = upstreams.find(service); it != upstreams.end() && !it->second.empty()) {
    return it->second;
  }
  auto port = service_ports.find(service);
  if (port == service_ports.end())
    return {};
  return {local_origin(port->second)};
}

std::string Config::local_origin(std::uint16_t port) const {
  std::string address = host;
  if (address == "0.0.0.0")
    address = "127.0.0.1";
  else if (address == "::")
    address = "::1";
  if (address.find(':') != std::string::npos)
    address = "[" + address + "]";
  return "http://" + address + ":" + std::to_string(port);
}

std::size_t Config::password_max_in_flight() const {
  // Eight per hashing thread: a burst of sign-ups or logins that large (16 people at once on the
  // default 2 threads) is absorbed without a 503, and an admitted one still waits at most about
  // eight hash times in the pool's queue (well under a second at the default cost).
  if (admission_password_max_in_flight > 0)
    return admission_password_max_in_flight;
  return 8 * static_cast<std::size_t>(hash_threads);
}

std::string Setting::env_name() const {
  std::string name = "ORDO_";
  for (char c : key) {
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = make_settings();
  return all;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto eq = text.find('=');
    if (eq != std::string::npos)
      env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

Config load(const std::string& file, const std::map<std::string, std::string>& environment,
            const std::vector<std::pair<std::string, std::string>>& overrides) {
  Config config;
  if (!file.empty()) {
    try {
      toml::table table = toml::parse_file(file);
      apply_table(config, table, "", file);
    } catch (const toml::parse_error& e) {
      std::ostringstream what;
      what << file << ": " << e.description() << " (line " << e.source().begin.line << ")";
      throw ConfigError(what.str());
    }
  }
  for (const auto& setting : settings()) {
    if (auto it = environment.find(setting.env_name()); it != environment.end()) {
      setting.set(config, it->second);
    }
  }
  for (const auto& [key, value] : overrides)
    apply(config, key, value, "flag");
  validate(config);
  return config;
}

std::string print(const Config& config) {
  std::string out;
  for (const auto& setting : settings()) {
    std::string value = setting.get(config);
    if (setting.secret && !value.empty())
      value = "********";
    out += setting.key + " = \"" + toml_string_body(value) + "\"  # " + setting.help + " [" +
           setting.env_name() + "]\n";
  }
  return out;
}

}  // namespace ordo::config
