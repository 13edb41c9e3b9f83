// `ordo migrate` and the commands services own (`ordo <service> <command>`): each on the service's
// migrated database, on an io_context of its own, without a server.
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>

#include "app/app.hpp"
#include "app/runtime.hpp"

namespace ordo::app {
namespace {

using boost::asio::awaitable;

// Runs work to its end; prints "<what> failed: <why>" and returns 1 when it throws.
int run_to_end(boost::asio::io_context& io, awaitable<void> work, const std::string& what) {
  int exit_code = 0;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr error) {
    if (!error)
      return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cerr << what << " failed: " << e.what() << "\n";
    }
    exit_code = 1;
  });
  io.run();
  return exit_code;
}

awaitable<void> migrate_all(const config::Config& config, boost::asio::any_io_executor executor) {
  for (const auto& definition : host::service_registry()) {
    if (definition.migrations == nullptr)
      continue;  // keeps no database
    co_await open_migrated(config, definition, executor);
    std::cout << definition.name << ": schema up to date\n";
  }
}

awaitable<void> run_on_database(const config::Config& config,
                                const host::ServiceDefinition& service,
                                const host::Command& command,
                                std::map<std::string, std::string> options,
                                boost::asio::thread_pool& cpu_pool) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto db = co_await open_migrated(config, service, executor);
  host::CommandContext context{config, *db, cpu_pool, std::move(options), std::cout};
  co_await command.run(context);
}

}  // namespace

int migrate(const config::Config& config) {
  boost::asio::io_context io;
  return run_to_end(io, migrate_all(config, io.get_executor()), "migrate");
}

int run_command(const config::Config& config, const host::ServiceDefinition& service,
                const host::Command& command, std::map<std::string, std::string> options) {
  boost::asio::io_context io;
  boost::asio::thread_pool cpu_pool(1);
  int exit_code = run_to_end(
      io, run_on_database(config, service, command, std::move(options), cpu_pool), command.name);
  cpu_pool.join();
  return exit_code;
}

}  // namespace ordo::app
