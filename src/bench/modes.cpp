// The bench's modes: which topology each starts, and whether the options can run it.
#include <algorithm>

#include "bench/bench.hpp"

namespace ordo::bench {
namespace {

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

const std::vector<std::string>& known_modes() {
  static const std::vector<std::string> modes{"embedded", "pg-nats", "pg-rabbitmq"};
  return modes;
}

bool is_distributed(const std::string& mode) {
  return mode == "pg-nats" || mode == "pg-rabbitmq";
}

const std::vector<ServiceInstances>& distributed_instances() {
  // As the distributed end-to-end run: orders and inventory scaled out, the others single.
  static const std::vector<ServiceInstances> instances{
      {"orders", 2}, {"inventory", 2}, {"users", 1}, {"products", 1}, {"notifications", 1}};
  return instances;
}

std::string describe_topology(const std::string& mode) {
  if (!is_distributed(mode))
    return mode + ": one ordo serve (every service and the gateway in one process)";
  std::string text = mode + ":";
  for (const auto& [service, count] : distributed_instances())
    text += " " + std::to_string(count) + "\u00d7 " + service + ",";
  return text + " 1\u00d7 gateway";
}

std::string mode_problem(const BenchOptions& options) {
  const auto& modes = known_modes();
  if (std::find(modes.begin(), modes.end(), options.mode) == modes.end()) {
    return "unknown mode '" + options.mode +
           "'; known: embedded (one process, SQLite, in-process bus), pg-nats (PostgreSQL + NATS "
           "JetStream), pg-rabbitmq (PostgreSQL + RabbitMQ)";
  }
  if (!is_distributed(options.mode))
    return "";
  const bool nats = options.mode == "pg-nats";
  const std::string bus_scheme = nats ? "nats://" : "amqp://";
  const std::string how =
      "; start the servers with `scripts/cluster.sh servers up --dir DIR --port-base 17800`, "
      "which prints their URLs, and pass them before `bench`: ordo --database-url "
      "postgresql://ordo@127.0.0.1:17800/ordo --bus-url " +
      std::string(nats ? "nats://127.0.0.1:17801" : "amqp://guest:guest@127.0.0.1:17802/") +
      " bench --mode " + options.mode;
  if (options.database_url.empty())
    return "--mode " + options.mode + " needs --database-url postgresql://..." + how;
  if (!starts_with(options.database_url, "postgresql://") &&
      !starts_with(options.database_url, "postgres://")) {
    return "--mode " + options.mode +
           " needs a PostgreSQL --database-url (postgresql://...), got '" + options.database_url +
           "'" + how;
  }
  if (options.bus_url.empty())
    return "--mode " + options.mode + " needs --bus-url " + bus_scheme + "..." + how;
  if (!starts_with(options.bus_url, bus_scheme)) {
    return "--mode " + options.mode + " needs a " + (nats ? "NATS" : "RabbitMQ") + " --bus-url (" +
           bus_scheme + "...), got '" + options.bus_url + "'" + how;
  }
  return "";
}

}  // namespace ordo::bench
