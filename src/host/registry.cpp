#include "host/registry.hpp"

#include <algorithm>

namespace ordo::host {
namespace {

std::vector<ServiceDefinition>& registrations() {
  static std::vector<ServiceDefinition> all;
  return all;
}

}  // namespace

ServiceRegistration::ServiceRegistration(ServiceDefinition definition) {
  // Its settings join the process's: <name>.port (and .upstreams for a service the gateway and
  // other services reach over HTTP), then its own section.
  config::register_section(config::service_endpoint_section(definition.name, definition.port,
                                                            definition.make != nullptr));
  if (!definition.settings.name.empty())
    config::register_section(definition.settings);
  registrations().push_back(std::move(definition));
}

const std::vector<ServiceDefinition>& service_registry() {
  static const std::vector<ServiceDefinition> sorted = [] {
    auto all = registrations();
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.start_order != b.start_order ? a.start_order < b.start_order : a.name < b.name;
    });
    return all;
  }();
  return sorted;
}

const ServiceDefinition* find_service(const std::string& name) {
  for (const auto& definition : service_registry()) {
    if (definition.name == name)
      return &definition;
  }
  return nullptr;
}

}  // namespace ordo::host
