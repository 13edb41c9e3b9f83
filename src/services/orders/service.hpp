// The orders service as the host sees it.
#pragma once

#include "host/service.hpp"

namespace ordo::services::orders {

std::vector<sql::Migration> migrations();  // generated from schema/
host::ServiceDefinition definition();

}  // namespace ordo::services::orders
