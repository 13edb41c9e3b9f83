// Reading the products service's requests: the bodies of POST and PATCH /products and the
// filters of GET /products. Each throws one 400 problem naming every bad field or parameter; what
// a product may hold is domain.hpp.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "services/products/domain.hpp"

namespace ordo::services::products {

// POST /products: every field error collected into one 400.
NewProduct parse_new_product(const boost::json::object& body);
// PATCH /products/{id}: the fields present; null is an error, and a patch changing nothing is 400.
ProductPatch parse_patch(const boost::json::object& body);

// GET /products: the query parameters as given (absent: nullopt).
struct ListParams {
  std::optional<std::string_view> q, category, min_price_cents, max_price_cents, sort;
};
ListFilter parse_list_filter(const ListParams& params);

}  // namespace ordo::services::products
