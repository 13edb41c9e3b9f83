// Services register themselves here (one static ServiceRegistration in their api.cpp), so the
// host lists every service this binary was built with without naming any of them.
#pragma once

#include <vector>

#include "host/service.hpp"

namespace ordo::host {

struct ServiceRegistration {
  explicit ServiceRegistration(ServiceDefinition definition);
};

// Every registered service, in start order: producers of events before their consumers' users
// (users, products, inventory, orders, notifications), unknown names last by name.
const std::vector<ServiceDefinition>& service_registry();
const ServiceDefinition* find_service(const std::string& name);

}  // namespace ordo::host
