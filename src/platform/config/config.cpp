#include "platform/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <sstream>

#include <toml++/toml.h>
#include <boost/asio/ip/address.hpp>

#include "platform/http/forwarded.hpp"
#include "platform/log/log.hpp"

extern char** environ;

namespace ordo::config {
namespace {

std::vector<Setting> make_settings() {
  std::vector<Setting> all{
      text("data_dir", "directory of the SQLite files and the signing key", &Config::data_dir),
      text("host", "address every listener binds to", &Config::host),
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
      number<std::size_t>("http.max_body_bytes", "larger request bodies get 413",
                          &http::ServerLimits::max_body_bytes, 1, 1ull << 30),
      number<std::size_t>("http.max_header_bytes", "larger request heads get 431",
                          &http::ServerLimits::max_header_bytes, 1024, 1 << 20),
      number<std::size_t>("http.max_target_bytes",
                          "longer request targets (path and query) get 414; keep it below "
                          "http.max_header_bytes",
                          &http::ServerLimits::max_target_bytes, 256, 1 << 20),
      flag("http.compress",
           "gzip answers of 1 KB or more (JSON, text, scripts, SVG) for clients that accept it",
           &Config::http_compress),
      flag("http.require_if_match",
           "PATCH and DELETE of a product and PUT of a stock level need If-Match (else 428)",
           &Config::require_if_match),
      number<std::size_t>("http.max_connections", "connections beyond it are refused",
                          &http::ServerLimits::max_connections, 1, 1'000'000),
      millis("http.header_timeout_ms", "time allowed to send a request head",
             &http::ServerLimits::header_timeout),
      millis("http.body_timeout_ms", "time allowed to send a request body",
             &http::ServerLimits::body_timeout),
      millis("http.idle_timeout_ms", "keep-alive connections idle longer are closed",
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
      millis("http.shutdown_grace_ms", "time in-flight requests get to finish on SIGTERM",
             &Config::shutdown_grace),
      text("sqlite.synchronous", "NORMAL (survives kill -9) or FULL (survives power loss)",
           &Config::sqlite_synchronous),
      number<int>("sqlite.readers", "reader threads per database", &Config::sqlite_readers, 1, 64),
      number<int>("auth.hash_threads", "threads hashing passwords", &Config::hash_threads, 1, 64),
      text("auth.issuer", "the iss claim of access tokens", &Config::jwt_issuer),
      text("auth.audience", "the aud claim of access tokens", &Config::jwt_audience),
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
  };
  all.push_back(list("http.trusted_proxies",
                     "comma-separated addresses or CIDR blocks whose X-Forwarded-For is believed",
                     &Config::trusted_proxies, http::TrustedProxies::valid_entry));
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
  for (const auto& section : sections()) {
    if (section.validate)
      section.validate(config);
  }
}

}  // namespace

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

// The process's settings, then each registered section's, in registration order; registration
// happens at static initialisation, before anything reads them.
std::vector<Setting>& all_settings() {
  static std::vector<Setting> all = make_settings();
  return all;
}

std::vector<Section>& registered_sections() {
  static std::vector<Section> all;
  return all;
}

const std::vector<Setting>& settings() {
  return all_settings();
}

const std::vector<Section>& sections() {
  return registered_sections();
}

void register_section(Section section) {
  auto& all = all_settings();
  for (const auto& setting : section.settings) {
    bool taken =
        std::any_of(all.begin(), all.end(), [&](const Setting& s) { return s.key == setting.key; });
    if (taken)
      throw std::logic_error("setting " + setting.key + " is declared twice");
  }
  all.insert(all.end(), section.settings.begin(), section.settings.end());
  registered_sections().push_back(std::move(section));
}

Section service_endpoint_section(const std::string& name, std::uint16_t default_port,
                                 bool has_upstreams) {
  Section section{name, {}, nullptr, nullptr};
  section.defaults = [name, default_port](Config& c) { c.service_ports[name] = default_port; };
  Setting port{name + ".port", "the " + name + " service's port", false, nullptr, nullptr};
  port.set = [name, key = port.key](Config& c, const std::string& value) {
    c.service_ports[name] = parse_number<std::uint16_t>(key, value);
  };
  port.get = [name](const Config& c) { return std::to_string(c.port(name)); };
  section.settings.push_back(std::move(port));
  if (has_upstreams) {
    Setting upstream{name + ".upstreams",
                     "gateway: comma-separated origins of the " + name + " instances", false,
                     nullptr, nullptr};
    upstream.set = [name](Config& c, const std::string& value) {
      c.upstreams[name] = split_list(value);
    };
    upstream.get = [name](const Config& c) { return join_list(c.upstream_origins(name)); };
    section.settings.push_back(std::move(upstream));
  }
  return section;
}

Config::Config() {
  for (const auto& section : sections()) {
    if (section.defaults)
      section.defaults(*this);
  }
}

std::uint16_t Config::port(const std::string& service) const {
  auto it = service_ports.find(service);
  if (it == service_ports.end())
    throw ConfigError("no service named '" + service + "' in this binary");
  return it->second;
}

bool parse_flag(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes")
    return true;
  if (value == "false" || value == "0" || value == "no")
    return false;
  throw ConfigError("setting " + key + ": '" + value + "' is not true or false");
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

std::string value_of(const Config& config, const std::string& key) {
  const Setting* setting = find_setting(key);
  if (setting == nullptr)
    throw ConfigError("unknown setting '" + key + "'");
  return setting->get(config);
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
