// The products service as the process sees it: its schema (it registers itself in api.cpp).
#pragma once

#include "host/service.hpp"

namespace ordo::services::products {

std::vector<sql::Migration> migrations();  // generated from schema/

}  // namespace ordo::services::products
