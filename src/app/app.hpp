// The process assembly, the top of the code: builds each registered service's platform pieces from
// the config, serves them, runs their commands, and shuts everything down in order on
// SIGTERM/SIGINT. It runs whatever registered (host/registry.hpp) and names no service.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/registry.hpp"
#include "host/service.hpp"

namespace ordo::app {

// Runs these services (names from the registry; the entry point among them or not) until
// SIGTERM/SIGINT; returns the process exit code (0 after a clean shutdown).
int serve(const config::Config& config, const std::vector<std::string>& services);

// Applies every service's migrations; prints what it did. Returns the exit code.
int migrate(const config::Config& config);

// A service's command (`ordo <service> <command>`) on its migrated database; prints what it did
// or why it failed. Returns the exit code.
int run_command(const config::Config& config, const host::ServiceDefinition& service,
                const host::Command& command, std::map<std::string, std::string> options);

}  // namespace ordo::app
