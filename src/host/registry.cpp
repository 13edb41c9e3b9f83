#include "host/registry.hpp"

#include <algorithm>

namespace ordo::host {
namespace {

std::vector<ServiceDefinition>& registrations() {
  static std::vector<ServiceDefinition> all;
  return all;
}

int start_rank(const std::string& name) {
  static const std::vector<std::string> order{"users", "products", "inventory", "orders",
                                              "notifications"};
  auto it = std::find(order.begin(), order.end(), name);
  return static_cast<int>(it - order.begin());
}

}  // namespace

ServiceRegistration::ServiceRegistration(ServiceDefinition definition) {
  registrations().push_back(std::move(definition));
}

const std::vector<ServiceDefinition>& service_registry() {
  static const std::vector<ServiceDefinition> sorted = [] {
    auto all = registrations();
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      auto ra = start_rank(a.name);
      auto rb = start_rank(b.name);
      return ra != rb ? ra < rb : a.name < b.name;
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
