// Services register themselves here (one register_service<T>() in their api.cpp), so the process
// lists every service this binary was built with without naming any of them.
#pragma once

#include <string>
#include <vector>

#include "host/service.hpp"

namespace ordo::host {

struct ServiceRegistration {
  explicit ServiceRegistration(ServiceDefinition definition);
};

// A service's one registration: `const auto kRegistration = host::register_service<OrdersApi>(
// {.name = "orders", .migrations = &migrations});` at namespace scope in its api.cpp.
template <typename ServiceType>
ServiceRegistration register_service(ServiceDefinition definition) {
  return ServiceRegistration(define_service<ServiceType>(std::move(definition)));
}

// Every registered service, by start order (ServiceDefinition::start_order), then by name.
const std::vector<ServiceDefinition>& service_registry();
const ServiceDefinition* find_service(const std::string& name);

}  // namespace ordo::host
