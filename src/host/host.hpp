// The composition root: builds each service's platform pieces from the config, serves them, and
// shuts everything down in order on SIGTERM/SIGINT.
#pragma once

#include <string>
#include <vector>

#include "host/registry.hpp"
#include "host/service.hpp"

namespace ordo::host {

struct ServeOptions {
  std::vector<std::string> services;  // the services to run in this process
  bool gateway = true;                // and the gateway
};

// Runs until SIGTERM/SIGINT; returns the process exit code (0 after a clean shutdown).
int serve(const config::Config& config, const ServeOptions& options);

// Applies every service's migrations; prints what it did. Returns the exit code.
int migrate(const config::Config& config);

// `ordo users create-admin`.
int create_admin(const config::Config& config, const std::string& email,
                 const std::string& password);

// `ordo users rotate-key`: a new signing key, current from now on; the others stay in the JWKS
// until the last token they signed has expired. Returns the exit code.
int rotate_signing_key(const config::Config& config);

}  // namespace ordo::host
