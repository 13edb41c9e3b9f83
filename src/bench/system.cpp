// Starting and stopping the system under test, and metering it through /proc.
#include "bench/system.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "bench/sync.hpp"
#include "host/registry.hpp"
#include "platform/http/client.hpp"

namespace ordo::bench {
namespace {

using Clock = std::chrono::steady_clock;

boost::asio::awaitable<int> probe(http::Client& client, const std::string& origin,
                                  const std::string& path) {
  http::OutgoingRequest request{"GET", path, {}, {}};
  auto response = co_await client.send(origin, std::move(request), std::chrono::milliseconds(500));
  co_return response.status;
}

}  // namespace

Settings bench_settings(const BenchOptions& options) {
  // Far above what the bench can send: the limiter still runs on every request (it is part of
  // the measured path), it just never says no to one address carrying thousands of users.
  const std::string unlimited = "1000000000";
  Settings settings{
      {"rate_limit.client_per_s", unlimited},       {"rate_limit.client_burst", unlimited},
      {"rate_limit.user_per_s", unlimited},         {"rate_limit.user_burst", unlimited},
      {"auth.register_max_per_address", unlimited}, {"log.access", "false"}};
  // On PostgreSQL, durability is the server's synchronous_commit (reported with the results).
  if (!is_distributed(options.mode))
    settings.emplace_back("sqlite.synchronous", options.sqlite_synchronous);
  return settings;
}

std::string describe(const Settings& settings) {
  std::string text;
  for (const auto& [key, value] : settings) {
    if (!text.empty())
      text += " ";
    text += key + "=" + value;
  }
  return text;
}

ServedProcess::ServedProcess(boost::asio::io_context& io, std::string name,
                             std::vector<std::string> args, std::string log_file,
                             std::string origin, const std::string& ready_path)
    : ServedProcess(std::move(name), std::move(args), std::move(log_file), std::move(origin)) {
  wait_ready(io, ready_path);
}

ServedProcess::ServedProcess(std::string name, std::vector<std::string> args, std::string log_file,
                             std::string origin)
    : name_(std::move(name)),
      origin_(std::move(origin)),
      spawned_(Clock::now()),
      child_(std::move(args), std::move(log_file)) {}

void ServedProcess::wait_ready(boost::asio::io_context& io, const std::string& ready_path) {
  http::Client client(io.get_executor());
  auto deadline = spawned_ + std::chrono::seconds(30);
  while (true) {
    if (!child_.running()) {
      throw std::runtime_error(name_ + " exited while starting; its log ends with:\n" +
                               child_.log_tail());
    }
    int status = 0;
    try {
      status = run_sync(io, probe(client, origin_, ready_path));
    } catch (const std::exception&) {
    }
    if (status == 200)
      break;
    if (Clock::now() > deadline) {
      throw std::runtime_error(name_ + " was not ready after 30 s; its log ends with:\n" +
                               child_.log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  start_to_ready_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - spawned_).count();
  if (auto sample = sample_process(child_.pid()))
    idle_rss_mib_ = sample->rss_mib;
}

ServedProcess::~ServedProcess() {
  child_.stop();
}

OrdoSystem::OrdoSystem(boost::asio::io_context& io, const BenchOptions& options, std::string name,
                       std::vector<std::string> serve_args, Settings extra)
    : binary_(options.ordo_binary),
      data_dir_(make_temp_dir("ordo-bench")),
      gateway_port_(free_port()),
      settings_(bench_settings(options)) {
  auto started = Clock::now();
  // A gateway-only system (the http-gateway ceiling) is one process in every mode.
  const bool distributed = is_distributed(options.mode) && serve_args.empty();
  for (const auto& definition : host::service_registry()) {
    if (definition.make != nullptr)  // every service but the entry point
      service_ports_.emplace_back(definition.name, free_port());
  }
  for (auto& setting : extra)
    settings_.push_back(std::move(setting));
  for (const auto& setting : options.serve_settings) {
    auto eq = setting.find('=');
    if (eq != std::string::npos)
      settings_.emplace_back(setting.substr(0, eq), setting.substr(eq + 1));
  }
  if (distributed)
    start_distributed(io, options);
  else
    start_one(io, options, std::move(name), std::move(serve_args));
  start_to_ready_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

void OrdoSystem::start_one(boost::asio::io_context& io, const BenchOptions& options,
                           std::string name, std::vector<std::string> serve_args) {
  database_description_ = "SQLite synchronous=" + options.sqlite_synchronous;
  topology_ = serve_args.empty() ? describe_topology(options.mode) : name;
  std::vector<std::string> args{binary_};
  for (auto& arg : common_args())
    args.push_back(std::move(arg));
  args.emplace_back("serve");
  for (auto& arg : serve_args)
    args.push_back(std::move(arg));
  processes_.push_back(std::make_unique<ServedProcess>(
      io, std::move(name), std::move(args), data_dir_ + "/ordo.log",
      "http://127.0.0.1:" + std::to_string(gateway_port_), "/ready"));
}

void OrdoSystem::start_distributed(boost::asio::io_context& io, const BenchOptions& options) {
  topology_ = describe_topology(options.mode);
  database_description_ = describe_postgres(options.database_url);
  database_ = std::make_unique<TemporaryDatabase>(options.database_url, "bench_");
  bus_url_ = options.bus_url;
  bus_namespace_ = fresh_name("bench");
  for (const auto& [service, count] : distributed_instances()) {
    for (int i = 2; i <= count; ++i)
      extra_instances_.push_back({service, service + "-" + std::to_string(i), free_port()});
  }
  // Every service instance at once (a later --set of its port wins over common_args'), then the
  // gateway, whose readiness needs its upstreams.
  for (const auto& [service, port] : service_ports_)
    spawn_service(service + "-1", service, port, {});
  for (const auto& instance : extra_instances_) {
    spawn_service(instance.name, instance.service, instance.port,
                  {"--set", instance.service + ".port=" + std::to_string(instance.port)});
  }
  for (auto& process : processes_)
    process->wait_ready(io, "/ready");
  spawn_service("gateway", "gateway", gateway_port_, {});
  processes_.back()->wait_ready(io, "/ready");
}

void OrdoSystem::spawn_service(const std::string& process_name, const std::string& service,
                               std::uint16_t port, std::vector<std::string> extra_args) {
  std::vector<std::string> args{binary_};
  for (auto& arg : common_args())
    args.push_back(std::move(arg));
  for (auto& arg : extra_args)
    args.push_back(std::move(arg));
  args.emplace_back("serve");
  args.push_back("--service=" + service);
  processes_.push_back(std::make_unique<ServedProcess>(process_name, std::move(args),
                                                       data_dir_ + "/" + process_name + ".log",
                                                       "http://127.0.0.1:" + std::to_string(port)));
}

OrdoSystem::~OrdoSystem() {
  processes_.clear();  // before the database goes: no service is connected to it any more
  database_.reset();
  if (std::getenv("ORDO_BENCH_KEEP") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
  }
}

std::vector<const ServedProcess*> OrdoSystem::processes() const {
  std::vector<const ServedProcess*> all;
  for (const auto& process : processes_)
    all.push_back(process.get());
  return all;
}

std::vector<std::string> OrdoSystem::metrics_origins() const {
  if (!distributed())
    return {"http://127.0.0.1:" + std::to_string(service_ports_.front().second)};
  std::vector<std::string> origins;
  for (std::size_t i = 0; i + 1 < processes_.size(); ++i)  // the gateway is last
    origins.push_back(processes_[i]->origin());
  return origins;
}

int OrdoSystem::stop() {
  int first_failure = 0;
  for (auto process = processes_.rbegin(); process != processes_.rend(); ++process) {
    int code = (*process)->stop();
    if (code != 0 && first_failure == 0)
      first_failure = code;
  }
  return first_failure;
}

std::vector<std::string> OrdoSystem::common_args() const {
  std::vector<std::string> args{"--data-dir", data_dir_, "--port", std::to_string(gateway_port_)};
  for (const auto& [service, port] : service_ports_) {
    args.emplace_back("--set");
    args.push_back(service + ".port=" + std::to_string(port));
  }
  if (!database_) {
    // Embedded means SQLite and the in-process bus, whatever ORDO_DATABASE_URL or ORDO_BUS_URL
    // in the bench's environment say (the children inherit it; flags win over the environment).
    for (const char* arg : {"--set", "database_url=", "--set", "bus_url=local"})
      args.emplace_back(arg);
  } else {
    for (const std::string& arg :
         {std::string("--database-url"), database_->url(), std::string("--bus-url"), bus_url_,
          std::string("--set"), "bus.namespace=" + bus_namespace_}) {
      args.push_back(arg);
    }
    for (const auto& [service, port] : service_ports_) {
      std::string origins = "http://127.0.0.1:" + std::to_string(port);
      for (const auto& instance : extra_instances_) {
        if (instance.service == service)
          origins += ",http://127.0.0.1:" + std::to_string(instance.port);
      }
      args.emplace_back("--set");
      args.push_back(service + ".upstreams=" + origins);
    }
  }
  for (const auto& [key, value] : settings_) {
    args.emplace_back("--set");
    args.push_back(key + "=" + value);
  }
  return args;
}

void UsageMeter::watch(std::string name, pid_t pid, std::optional<double> idle_rss_mib,
                       std::optional<double> start_to_ready_ms) {
  Watched watched;
  watched.usage.name = std::move(name);
  watched.usage.idle_rss_mib = idle_rss_mib;
  watched.usage.start_to_ready_ms = start_to_ready_ms;
  watched.pid = pid;
  watched_.push_back(std::move(watched));
}

void UsageMeter::watch(const ServedProcess& process) {
  watch(process.name(), process.pid(), process.idle_rss_mib(), process.start_to_ready_ms());
}

void UsageMeter::watch(const std::vector<const ServedProcess*>& processes) {
  for (const auto* process : processes)
    watch(*process);
}

void UsageMeter::watch_self() {
  watch("bench (load generator)", ::getpid());
}

void UsageMeter::start() {
  for (auto& watched : watched_) {
    if (auto sample = sample_process(watched.pid))
      watched.cpu_at_start = sample->cpu_seconds;
  }
}

std::vector<ScenarioResult::ProcessUsage> UsageMeter::finish() const {
  std::vector<ScenarioResult::ProcessUsage> usages;
  for (const auto& watched : watched_) {
    auto usage = watched.usage;
    if (auto sample = sample_process(watched.pid)) {
      usage.cpu_seconds = sample->cpu_seconds - watched.cpu_at_start;
      usage.peak_rss_mib = sample->peak_rss_mib;
    }
    usages.push_back(std::move(usage));
  }
  return usages;
}

}  // namespace ordo::bench
