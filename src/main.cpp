// The `ordo` command: serve, migrate, the services' own commands (`ordo users rotate-key`), config
// print, bench. It names no service: the registry says which this binary holds.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "app/app.hpp"
#include "bench/bench.hpp"
#include "bench/echo_server.hpp"
#include "platform/config/config.hpp"
#include "platform/log/log.hpp"

namespace {

// The entry point's name (the registered service built from EntryResources); every build of
// `ordo` registers one.
std::string entry_name() {
  for (const auto& definition : ordo::host::service_registry()) {
    if (definition.make_entry != nullptr)
      return definition.name;
  }
  throw std::logic_error("no entry point registered");
}

struct GlobalFlags {
  std::string config_file;
  std::string data_dir;
  int port = -1;
  // The entry point's port by default; `serve --service=orders --port N` sets orders.port.
  std::string port_key = entry_name() + ".port";
  std::string database_url;
  std::string bus_url;
  std::vector<std::string> settings;   // key=value
  std::vector<std::string> upstreams;  // service=origin,origin
};

// The services the gateway reaches over HTTP: "users, products, ...".
std::string upstream_names() {
  std::string names;
  for (const auto& definition : ordo::host::service_registry()) {
    if (definition.make != nullptr)
      names += (names.empty() ? "" : ", ") + definition.name;
  }
  return names;
}

// --upstream orders=http://a:3003,http://b:3003 (repeatable) is <service>.upstreams; repeating a
// service adds origins to it.
std::vector<std::pair<std::string, std::string>> upstream_overrides(
    const std::vector<std::string>& flags) {
  std::map<std::string, std::string> origins;
  for (const auto& flag : flags) {
    auto eq = flag.find('=');
    auto service = flag.substr(0, eq);
    const auto* definition = ordo::host::find_service(service);
    if (eq == std::string::npos || eq + 1 == flag.size() || definition == nullptr ||
        definition->make == nullptr) {
      throw ordo::config::ConfigError(
          "--upstream expects service=http://host:port[,http://host:port...] with a service of " +
          upstream_names() + ", got '" + flag + "'");
    }
    auto& list = origins[service];
    list += (list.empty() ? "" : ",") + flag.substr(eq + 1);
  }
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [service, list] : origins)
    overrides.emplace_back(service + ".upstreams", list);
  return overrides;
}

ordo::config::Config load_config(const GlobalFlags& flags) {
  // The dedicated flags first, so that an explicit --set of the same key wins.
  std::vector<std::pair<std::string, std::string>> overrides;
  if (!flags.data_dir.empty())
    overrides.emplace_back("data_dir", flags.data_dir);
  if (flags.port >= 0)
    overrides.emplace_back(flags.port_key, std::to_string(flags.port));
  if (!flags.database_url.empty())
    overrides.emplace_back("database_url", flags.database_url);
  if (!flags.bus_url.empty())
    overrides.emplace_back("bus_url", flags.bus_url);
  for (auto& upstream : upstream_overrides(flags.upstreams))
    overrides.push_back(std::move(upstream));
  for (const auto& setting : flags.settings) {
    auto eq = setting.find('=');
    if (eq == std::string::npos) {
      throw ordo::config::ConfigError("--set expects key=value, got '" + setting + "'");
    }
    overrides.emplace_back(setting.substr(0, eq), setting.substr(eq + 1));
  }
  auto config =
      ordo::config::load(flags.config_file, ordo::config::process_environment(), overrides);
  ordo::log::Level level = ordo::log::Level::info;
  ordo::log::parse_level(config.log_level, level);
  ordo::log::set_level(level);
  return config;
}

// The commands services registered (`ordo users create-admin --email ...`), as subcommands of a
// subcommand named after their service.
struct ServiceCommand {
  const ordo::host::ServiceDefinition* service = nullptr;
  const ordo::host::Command* command = nullptr;
  CLI::App* parsed = nullptr;
  std::map<std::string, std::string> options;
};

std::deque<ServiceCommand> add_service_commands(CLI::App& app) {
  std::deque<ServiceCommand> all;  // a deque: the options' storage must not move
  for (const auto& service : ordo::host::service_registry()) {
    if (service.commands.empty())
      continue;
    auto* group = app.add_subcommand(service.name, service.commands_description);
    group->require_subcommand(1);
    for (const auto& command : service.commands) {
      auto& entry = all.emplace_back();
      entry.service = &service;
      entry.command = &command;
      entry.parsed = group->add_subcommand(command.name, command.description);
      for (const auto& option : command.options) {
        auto* flag = entry.parsed->add_option("--" + option.name, entry.options[option.name],
                                              option.description);
        if (!option.environment.empty())
          flag->envname(option.environment);
        flag->required();
      }
    }
  }
  return all;
}

// "(users, products, inventory, orders, notifications) or gateway": what --service accepts, the
// services with a database first, then the entry point.
std::string registered_names() {
  std::string services;
  std::string entries;
  for (const auto& definition : ordo::host::service_registry()) {
    auto& list = definition.make_entry != nullptr ? entries : services;
    list += (list.empty() ? "" : ", ") + definition.name;
  }
  return "(" + services + ")" + (entries.empty() ? "" : " or " + entries);
}

// The running binary, so that `ordo bench` starts this very build as the system under test.
std::string own_binary() {
  char buffer[PATH_MAX];
  auto length = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return length > 0 ? std::string(buffer, static_cast<std::size_t>(length)) : "/proc/self/exe";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Ordo: an order & inventory platform. One binary, many services."};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalFlags flags;
  app.add_option("--config", flags.config_file, "a TOML config file")->check(CLI::ExistingFile);
  app.add_option("--data-dir", flags.data_dir, "where SQLite files and keys live (./data)");
  app.add_option("--port", flags.port,
                 "the gateway's port (3000); with serve --service=NAME, that service's port")
      ->check(CLI::Range(0, 65535));
  app.add_option("--database-url", flags.database_url,
                 "postgresql://user@host:port/db for PostgreSQL (default: SQLite in the data dir)");
  app.add_option(
      "--bus-url", flags.bus_url,
      "local (in-process, default), nats://host:port or amqp://user:pass@host:port/vhost");
  app.add_option("--set", flags.settings,
                 "override any setting: --set http.max_body_bytes=2048 (see `ordo config print`)");
  app.add_option("--upstream", flags.upstreams,
                 "the gateway's instances of a service, repeatable: --upstream "
                 "orders=http://10.0.0.1:3003,http://10.0.0.2:3003 (the <service>.upstreams "
                 "setting)");

  auto* serve = app.add_subcommand("serve", "run the services and the gateway");
  std::string service;
  serve->add_option("--service", service, "run only this service " + registered_names());

  app.add_subcommand("migrate", "apply every service's database migrations and exit");

  auto service_commands = add_service_commands(app);

  auto* config_command = app.add_subcommand("config", "inspect the configuration");
  config_command->require_subcommand(1);
  auto* print =
      config_command->add_subcommand("print", "show the effective configuration (secrets masked)");

  auto* bench = app.add_subcommand(
      "bench", "measure the order flow, reads and logins against this machine's own ceilings");
  ordo::bench::BenchOptions bench_options;
  int bench_seconds = 10;
  bench->add_option("scenarios", bench_options.scenarios,
                    "order-flow, read, login, http, db, hash (none: all of these), overload "
                    "(logins at --connections, 8x as many, then --connections again)");
  bench
      ->add_option("--mode", bench_options.mode,
                   "how the system under test runs: embedded (one process, SQLite, in-process "
                   "bus); pg-nats or pg-rabbitmq (a process per service instance: 2 orders, 2 "
                   "inventory, 1 each of the others, a gateway; on PostgreSQL and NATS JetStream "
                   "or RabbitMQ: pass the servers' --database-url and --bus-url, e.g. from "
                   "`scripts/cluster.sh servers up`)")
      ->capture_default_str();
  bench->add_option("--connections", bench_options.connections, "concurrent connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  bench->add_option("--seconds", bench_seconds, "measured seconds per scenario")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  bench->add_flag("--json", bench_options.json, "one JSON object per scenario on stdout");
  bench
      ->add_option("--sqlite-synchronous", bench_options.sqlite_synchronous,
                   "NORMAL (a 202 survives kill -9) or FULL (survives power loss)")
      ->capture_default_str()
      ->check(CLI::IsMember({"NORMAL", "FULL"}));
  bench->add_option("--chart", bench_options.chart_svg,
                    "also sweep order-flow and read at 1, 4, 16, 64 connections and write an SVG "
                    "chart of throughput against p99 here");
  bool no_progress = false;
  bench->add_flag("--no-progress", no_progress, "no progress bar on stderr");

  // The HTTP ceiling's server, started by `ordo bench` itself: not for people, so hidden.
  auto* bench_echo = app.add_subcommand("bench-echo", "constant HTTP responses for ordo bench");
  bench_echo->group("");
  int echo_port = 0;
  bench_echo->add_option("--port", echo_port, "the port to listen on")
      ->required()
      ->check(CLI::Range(1, 65535));

  CLI11_PARSE(app, argc, argv);
  if (serve->parsed() && !service.empty())
    flags.port_key = service + ".port";

  try {
    auto config = load_config(flags);
    if (serve->parsed()) {
      std::vector<std::string> services;
      if (service.empty()) {
        for (const auto& definition : ordo::host::service_registry())
          services.push_back(definition.name);
      } else {
        if (ordo::host::find_service(service) == nullptr) {
          std::cerr << "unknown or not yet implemented service: " << service << "\n";
          return 2;
        }
        services.push_back(service);
      }
      return ordo::app::serve(config, services);
    }
    if (app.got_subcommand("migrate"))
      return ordo::app::migrate(config);
    for (auto& entry : service_commands) {
      if (entry.parsed->parsed())
        return ordo::app::run_command(config, *entry.service, *entry.command, entry.options);
    }
    if (bench->parsed()) {
      bench_options.seconds = std::chrono::seconds(bench_seconds);
      bench_options.progress = !no_progress;
      bench_options.ordo_binary = own_binary();
      bench_options.serve_settings = flags.settings;
      // The servers of the distributed modes (each run makes its own database and namespace).
      bench_options.database_url = config.database_url;
      bench_options.bus_url = config.bus_url;
      // The hash ceiling hashes at the cost logins pay in this configuration.
      bench_options.argon2_cost = std::make_pair(
          ordo::config::parse_number<unsigned long long>(
              "auth.argon2_ops", ordo::config::value_of(config, "auth.argon2_ops")),
          ordo::config::parse_number<std::size_t>(
              "auth.argon2_memory_kib", ordo::config::value_of(config, "auth.argon2_memory_kib")));
      return ordo::bench::run(bench_options);
    }
    if (bench_echo->parsed())
      return ordo::bench::run_echo_server(static_cast<std::uint16_t>(echo_port), config.limits);
    if (print->parsed()) {
      std::cout << ordo::config::print(config);
      return 0;
    }
  } catch (const ordo::config::ConfigError& e) {
    std::cerr << "configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
