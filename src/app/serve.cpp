// `ordo serve`: the services of this process, their platform pieces, start and shutdown.
#include "app/app.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <deque>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "app/access_view.hpp"
#include "app/event_loops.hpp"
#include "app/jwks_source.hpp"
#include "app/runtime.hpp"
#include "app/service_metrics.hpp"
#include "host/registry.hpp"
#include "platform/bus/local_bus.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"

namespace ordo::app {
namespace {

using boost::asio::awaitable;

// How long a starting service waits for its queues to be bound before it reports ready anyway
// (the broker may be down: the queues are declared when it connects).
constexpr std::chrono::seconds kSubscribedWithin{5};

// One service running in this process, with everything it owns.
struct RunningService {
  const host::ServiceDefinition* definition = nullptr;
  std::unique_ptr<sql::Database> db;
  std::unique_ptr<sql::Database> relay_db;  // the relay's own connection (PostgreSQL)
  std::unique_ptr<bus::OutboxRelay> relay;
  std::unique_ptr<AccessView> access;  // whose tokens were revoked since they were issued
  std::unique_ptr<host::ServiceResources> resources;
  std::unique_ptr<host::Service> service;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::AdmissionControl> admission;  // null with admission.enabled=false
  std::unique_ptr<http::Server> server;
  bool prepared = false;  // migrated, subscribed and started: the API answers
};

// The entry point running in this process (the gateway), on event loops of its own.
struct RunningEntry {
  const host::ServiceDefinition* definition = nullptr;
  std::unique_ptr<host::EntryResources> resources;
  std::unique_ptr<host::Service> service;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::Server> server;
};

struct Process;
awaitable<auth::KeySet> keys_of_signer_here(Process& process);

// The name of the service that signs the access tokens (signs_tokens), "" when none registered.
std::string token_signer() {
  for (const auto& definition : host::service_registry()) {
    if (definition.signs_tokens)
      return definition.name;
  }
  return {};
}

// The token signer's public keys (the users service's): from the service itself when it runs in
// this process (and auth.jwks_url does not say otherwise), else from its JWKS over HTTP.
std::unique_ptr<auth::TokenVerifier> make_verifier(const config::Config& config,
                                                   boost::asio::any_io_executor executor,
                                                   Process& process, bool signer_here) {
  auth::KeyFetch fetch;
  if (signer_here && config.jwks_url.empty())
    fetch = [&process] { return keys_of_signer_here(process); };
  else
    fetch = jwks_over_http(executor, jwks_urls(config, token_signer()));
  auth::KeyCacheOptions options;
  options.refresh_interval = config.jwks_refresh;
  options.unknown_kid_cooldown = config.jwks_unknown_kid_cooldown;
  return std::make_unique<auth::TokenVerifier>(
      executor, std::move(fetch), auth::VerifyPolicy{config.jwt_issuer, config.jwt_audience},
      options);
}

// Threads: `io` (one thread, the one calling serve()) runs every service: their servers, handlers,
// relays, consumers and access views, which may therefore assume one thread. The entry point (the
// gateway) runs on event loops of its own (gateway.io_threads threads), so that a read through it
// uses a second core; what it shares with the services (the verifier's cache, the metrics
// registry, the log) is guarded by mutexes, and its own shared state by itself.
// How upstream host names are resolved (upstreams.hosts_file first, when set).
core::NameLookup upstream_lookup(const config::Config& config) {
  if (config.upstreams_hosts_file.empty())
    return {};
  return core::hosts_file_lookup(config.upstreams_hosts_file);
}

// The services' client to each other (orders -> products): a name with several addresses gets
// requests in turn.
http::ClientOptions service_client_options(const config::Config& config) {
  http::ClientOptions options{std::chrono::milliseconds(2'000), config.upstream_timeout, 64,
                              16 * 1024 * 1024};
  options.lookup = upstream_lookup(config);
  options.name_refresh = config.upstreams_dns_refresh;
  return options;
}

struct Process {
  const config::Config& config;
  boost::asio::io_context io{1};
  // Declared before the entry point so that its loops outlive it: its objects are destroyed
  // while the loops exist but no longer run.
  std::unique_ptr<EventLoopThreads> entry_loops;
  boost::asio::thread_pool cpu_pool;
  std::unique_ptr<auth::TokenVerifier> verifier;
  std::unique_ptr<bus::Bus> bus;
  http::Client http_client;
  metrics::Registry metrics;
  std::deque<RunningService> services;  // deque: routes keep pointers into its elements
  RunningEntry entry;
  bool stopping = false;

  Process(const config::Config& c, bool runs_services, bool signer_here)
      : config(c),
        cpu_pool(static_cast<std::size_t>(c.hash_threads)),
        verifier(make_verifier(c, io.get_executor(), *this, signer_here)),
        // A gateway-only process publishes and consumes nothing: no broker connection for it.
        bus(runs_services ? open_bus(c, io.get_executor())
                          : bus::make_local_bus(io.get_executor())),
        http_client(io.get_executor(), service_client_options(c)) {
    metrics::add_process_metrics(metrics);
  }
};

awaitable<auth::KeySet> keys_of_signer_here(Process& process) {
  for (auto& running : process.services) {
    // Prepared: migrated, and its first key made (the signer's start()).
    if (running.definition->signs_tokens && running.prepared)
      co_return co_await running.service->token_keys();
  }
  throw std::runtime_error("the service signing the tokens is not started yet");
}

// Opens the service's database handle and starts listening at once: until prepare() has applied
// the migrations (the database may not be up yet), /ready answers 503 and every API route a
// 503 problem, so that a service started before its database or broker simply waits for them.
void start_service(Process& process, const host::ServiceDefinition& definition) {
  const auto& config = process.config;
  process.services.emplace_back();
  RunningService& running = process.services.back();
  running.definition = &definition;
  running.db = open_database(config, definition.name, process.io.get_executor());
  running.relay_db = open_relay_database(config, definition.name, process.io.get_executor());
  running.relay =
      std::make_unique<bus::OutboxRelay>(process.io.get_executor(), *running.db, *process.bus,
                                         relay_options(*running.db, running.relay_db.get()));
  running.access =
      std::make_unique<AccessView>(process.io.get_executor(), *running.db, definition.name);
  running.resources = std::make_unique<host::ServiceResources>(host::ServiceResources{
      config, process.io.get_executor(), *running.db, *process.bus, process.cpu_pool,
      *process.verifier, process.http_client, process.metrics});
  running.service = definition.make(*running.resources);
  running.router = std::make_unique<http::Router>();
  running.service->add_routes(*running.router);
  add_operational_routes(*running.router, running.db.get(), process.bus.get(), &running.prepared,
                         process.verifier.get());
  metrics::add_metrics_route(*running.router, process.metrics);
  auto chain = common_middleware(config, definition.name, process.metrics);
  chain.push_back(unavailable_while_database_down());
  chain.push_back(until_prepared(&running.prepared));
  // Before authentication: a refused request costs no more than the answer itself.
  if (config.admission_enabled) {
    running.admission = make_admission(config, definition.name, running.service->password_routes(),
                                       process.metrics);
    chain.push_back(running.admission->middleware());
  }
  chain.push_back(authenticate(*process.verifier, running.access->revocations()));
  for (auto& middleware : running.service->middleware())
    chain.push_back(std::move(middleware));
  // `io` is run by one thread only: connections need no strand.
  running.server =
      std::make_unique<http::Server>(http::EventLoops{{process.io.get_executor()}}, definition.name,
                                     config.limits, running.router->handler(std::move(chain)));
  running.server->listen(config.host, config.port(definition.name));
  auto* server = running.server.get();
  auto* relay = running.relay.get();
  process.metrics.gauge("ordo_http_open_connections", "Connections open on a service's port.",
                        {{"service", definition.name}},
                        [server] { return static_cast<double>(server->open_connections()); });
  add_relay_metrics(process.metrics, definition.name, *relay, *running.db);
  add_database_metrics(process.metrics, definition.name, *running.db);
}

// Applies the migrations, retrying with backoff while the database is unreachable, then
// subscribes the service's consumers and starts it.
awaitable<void> prepare_service(Process& process, RunningService& running) {
  const auto& name = running.definition->name;
  co_await migrate_when_reachable(*running.db, *running.definition,
                                  migration_options(process.config), process.stopping);
  co_await running.access->load();
  auto access = running.access->subscription();
  add_consumer_metrics(process.metrics, name, access);
  process.bus->subscribe(std::move(access));
  running.access->start();
  for (auto& subscription : running.service->subscriptions()) {
    add_consumer_metrics(process.metrics, name, subscription);
    process.bus->subscribe(std::move(subscription));
  }
  // Ready only once its queues are bound (RabbitMQ), so that an event published in answer to a
  // request made as soon as it is ready reaches it.
  co_await process.bus->subscribed(kSubscribedWithin);
  co_await running.service->start();
  running.prepared = true;
  log::info(name, "prepared",
            {{"database", running.db->dialect() == sql::Dialect::postgres ? "postgres" : "sqlite"},
             {"bus", process.bus->kind()}});
}

// The entry point, once every service here is ready: its health checks must not eject instances
// that are only starting.
void start_entry(Process& process, const host::ServiceDefinition& definition) {
  const auto& config = process.config;
  const auto& name = definition.name;
  std::set<std::string> services;
  for (const auto& registered : host::service_registry()) {
    if (registered.make != nullptr)
      services.insert(registered.name);
  }
  std::size_t loop_count = definition.event_loops ? definition.event_loops(config) : 1;
  process.entry_loops = std::make_unique<EventLoopThreads>(name, loop_count);
  auto loops = process.entry_loops->executors();
  auto& entry = process.entry;
  entry.definition = &definition;
  entry.resources = std::make_unique<host::EntryResources>(host::EntryResources{
      config, loops, *process.verifier, process.metrics, services, upstream_lookup(config)});
  entry.service = definition.make_entry(*entry.resources);
  entry.router = std::make_unique<http::Router>();
  entry.service->add_routes(*entry.router);
  if (entry.service->serves_metrics())
    metrics::add_metrics_route(*entry.router, process.metrics);
  auto chain = common_middleware(config, name, process.metrics);
  for (auto& middleware : entry.service->middleware())
    chain.push_back(std::move(middleware));
  entry.server = std::make_unique<http::Server>(http::EventLoops{loops}, name, config.limits,
                                                entry.router->handler(std::move(chain)));
  entry.server->listen(config.host, config.port(name));
  auto* server = entry.server.get();
  process.metrics.gauge("ordo_http_open_connections", "Connections open on a service's port.",
                        {{"service", name}},
                        [server] { return static_cast<double>(server->open_connections()); });
  // Only now: everything above was built on this thread before any loop could touch it.
  process.entry_loops->start();
}

awaitable<void> start(Process& process, const std::vector<std::string>& names) {
  auto started = std::chrono::steady_clock::now();
  const host::ServiceDefinition* entry = nullptr;
  for (const auto& name : names) {
    const auto* definition = host::find_service(name);
    if (definition == nullptr)
      throw std::runtime_error("unknown service: " + name);
    if (definition->make_entry != nullptr)
      entry = definition;
    else
      start_service(process, *definition);
  }
  for (auto& running : process.services) {
    co_await prepare_service(process, running);
    if (process.stopping)
      co_return;
  }
  // Keys once the services are prepared: a users service here has made its first key by now.
  process.verifier->start();
  // Relays start only once every service has subscribed: the in-process bus delivers to the
  // subscriptions it has, so an event relayed earlier would skip a service that starts later.
  for (auto& running : process.services)
    running.relay->start();
  const auto& config = process.config;
  // Bounded: without keys the process still starts (its relays already run), and its /ready
  // says it is not ready until it has them. The entry point starts after the wait, so that its
  // health checks do not eject instances that are only waiting for their own keys.
  bool keys = co_await process.verifier->wait_for_keys(config.jwks_start_wait);
  if (!keys) {
    log::warn("ordo", "no token verification keys yet; not ready until they are fetched",
              {{"waitedMs", config.jwks_start_wait.count()}});
  }
  if (entry != nullptr)
    start_entry(process, *entry);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  boost::json::object fields{{"startupMs", millis}, {"dataDir", config.data_dir}};
  boost::json::array started_names;
  for (const auto& running : process.services)
    started_names.emplace_back(running.definition->name);
  fields["services"] = std::move(started_names);
  if (entry != nullptr)
    fields[entry->name] = config.local_origin(config.port(entry->name));
  log::info("ordo", "ready", fields);
}

// Each service's stop hook, consumers first (the reverse of the start order), within the grace
// period: past it the process stops anyway, and what a hook still held waits out its lease as
// after a crash.
awaitable<void> stop_services(Process& process, std::chrono::milliseconds grace) {
  auto done = std::make_shared<bool>(false);
  auto timer = std::make_shared<boost::asio::steady_timer>(process.io, grace);
  boost::asio::co_spawn(
      process.io,
      [](Process& process, std::shared_ptr<bool> done,
         std::shared_ptr<boost::asio::steady_timer> timer) -> awaitable<void> {
        for (auto running = process.services.rbegin(); running != process.services.rend();
             ++running) {
          if (running->service)
            co_await running->service->stop();
        }
        *done = true;
        timer->cancel();
      }(process, done, timer),
      [done, timer](std::exception_ptr error) {
        try {
          if (error)
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
          log::warn("ordo", "a service did not stop cleanly", {{"error", e.what()}});
        }
        *done = true;
        timer->cancel();
      });
  boost::system::error_code ec;  // operation_aborted: the hooks finished first
  if (!*done)
    co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  if (!*done)
    log::warn("ordo", "services still stopping after the grace period",
              {{"graceMs", grace.count()}});
}

awaitable<void> shutdown(Process& process) {
  auto grace = process.config.shutdown_grace;
  log::info("ordo", "shutting down", {{"graceMs", grace.count()}});
  process.verifier->stop();
  // The entry point first: its in-flight requests still need the services behind it.
  if (process.entry.server)
    co_await process.entry.server->shutdown(grace);
  for (auto& running : process.services) {
    if (running.server)
      co_await running.server->shutdown(grace);
  }
  co_await stop_services(process, grace);
  for (auto& running : process.services) {
    co_await running.access->stop();
    co_await running.relay->stop();
  }
  log::info("ordo", "stopped");
}

}  // namespace

int serve(const config::Config& config, const std::vector<std::string>& services) {
  bool runs_services = false;
  bool signer_here = false;
  for (const auto& name : services) {
    const auto* definition = host::find_service(name);
    runs_services = runs_services || (definition != nullptr && definition->make != nullptr);
    signer_here = signer_here || (definition != nullptr && definition->signs_tokens);
  }
  Process process(config, runs_services, signer_here);
  int exit_code = 0;
  boost::asio::signal_set signals(process.io, SIGINT, SIGTERM);
  bool stopping = false;
  auto stop = [&](int code) {
    if (stopping)
      return;
    stopping = true;
    process.stopping = true;
    exit_code = code;
    signals.cancel();
    boost::asio::co_spawn(process.io, shutdown(process),
                          [&](std::exception_ptr) { process.io.stop(); });
  };
  boost::asio::co_spawn(process.io, start(process, services), [&](std::exception_ptr error) {
    if (!error)
      return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      log::error("ordo", "start failed", {{"error", e.what()}});
    }
    stop(1);
  });
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec)
      return;
    log::info("ordo", "signal received", {{"signal", signal}});
    stop(0);
  });
  process.io.run();
  // The entry point's loops stop before anything they use is destroyed (Process's members go in
  // reverse order, the loops after the entry point's objects).
  if (process.entry_loops)
    process.entry_loops->stop();
  process.cpu_pool.join();
  return exit_code;
}

}  // namespace ordo::app
