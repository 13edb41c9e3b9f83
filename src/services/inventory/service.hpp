// The inventory service as the host sees it.
#pragma once

#include "host/service.hpp"

namespace ordo::services::inventory {

std::vector<sql::Migration> migrations();  // generated from schema/
host::ServiceDefinition definition();

}  // namespace ordo::services::inventory
