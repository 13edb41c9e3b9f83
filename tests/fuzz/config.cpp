// Configuration as `ordo` reads it (config::load): a TOML file, ORDO_* environment variables and
// --set key=value flags. The input is those three, separated by lines "%%": the file's text, then
// NAME=value lines, then key=value lines. Promises: load yields a config or throws ConfigError;
// every number is within its documented range; what `ordo config print` shows of a config loads
// back as the same config.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "fuzz_support.hpp"
#include "platform/config/config.hpp"
#include "services/gateway/settings.hpp"
#include "services/inventory/settings.hpp"
#include "services/notifications/settings.hpp"
#include "services/users/settings.hpp"

namespace {

using namespace ordo;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// The sections `ordo` registers (host::register_service does it there; the services themselves
// are not built here): each service's endpoint, and the settings of those that have their own.
struct Service {
  const char* name;
  std::uint16_t port;
  bool reached_over_http;
};
constexpr Service kServices[] = {{"gateway", 3000, false},  {"users", 3001, true},
                                 {"products", 3002, true},  {"orders", 3003, true},
                                 {"inventory", 3004, true}, {"notifications", 3005, true}};

const bool kRegistered = [] {
  for (const auto& service : kServices) {
    config::register_section(
        config::service_endpoint_section(service.name, service.port, service.reached_over_http));
  }
  config::register_section(services::gateway::settings_section());
  config::register_section(services::users::settings_section());
  config::register_section(services::inventory::settings_section());
  config::register_section(services::notifications::settings_section());
  return true;
}();

// The file load() reads: one per process, rewritten for every input.
const std::string& config_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir != nullptr ? dir : "/tmp") + "/ordo-fuzz-config-XXXXXX";
    int fd = mkstemp(pattern.data());
    if (fd < 0)
      fuzz::violated("cannot create the config file");
    close(fd);
    return pattern;
  }();
  static const bool cleanup = [] {
    return std::atexit([] { std::remove(config_path().c_str()); }) == 0;
  }();
  (void)cleanup;
  return path;
}

std::string write_config(std::string_view text) {
  std::ofstream(config_path(), std::ios::binary | std::ios::trunc).write(text.data(), text.size());
  return config_path();
}

// "a=b" lines; a line without '=' is what main.cpp refuses for --set, skipped here.
Pairs pairs(std::string_view text) {
  Pairs out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (auto eq = line.find('='); eq != std::string_view::npos)
      out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::string_view next_part(std::string_view& text) {
  auto separator = text.find("\n%%\n");
  auto part = text.substr(0, separator);
  text = separator == std::string_view::npos ? std::string_view{} : text.substr(separator + 4);
  return part;
}

bool in_range(double value, double min, double max) {
  return value >= min && value <= max;  // false for NaN
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto text = fuzz::as_text(data, size);
    auto file_text = next_part(text);
    auto environment_text = next_part(text);
    auto flags = pairs(text);
    std::map<std::string, std::string> environment;
    for (auto& [name, value] : pairs(environment_text))
      environment[name] = value;

    config::Config loaded;
    try {
      loaded = config::load(file_text.empty() ? "" : write_config(file_text), environment, flags);
    } catch (const config::ConfigError&) {
      return 0;  // refused, as documented
    }
    const auto& gateway = loaded.section<services::gateway::Settings>();
    fuzz::check(kRegistered && in_range(gateway.rate_limit_client_per_s, 0.01, 1e9) &&
                    in_range(gateway.rate_limit_client_burst, 1, 1e9) &&
                    in_range(gateway.rate_limit_user_per_s, 0.01, 1e9) &&
                    in_range(gateway.rate_limit_user_burst, 1, 1e9),
                "a rate limit outside its range");
    for (const auto& service : kServices) {
      if (service.reached_over_http) {
        fuzz::check(!loaded.upstream_origins(service.name).empty(),
                    "a service without an upstream");
      }
    }

    auto printed = config::print(loaded);
    config::Config reloaded;
    try {
      reloaded = config::load(write_config(printed), {}, {});
    } catch (const config::ConfigError& e) {
      fuzz::violated(std::string("`config print` output does not load: ") + e.what());
    }
    fuzz::check(config::print(reloaded) == printed, "`config print` output loads differently");
  } catch (const std::exception& e) {
    fuzz::violated(std::string("unexpected exception: ") + e.what());
  }
  return 0;
}
