#include "contracts/products.hpp"

#include <boost/json.hpp>

namespace ordo::contracts {
namespace json = boost::json;

json::value to_json(const Product& product) {
  return json::object{{"id", product.id},
                      {"sku", product.sku},
                      {"name", product.name},
                      {"description", product.description},
                      {"priceCents", product.price_cents},
                      {"currency", product.currency},
                      {"category", product.category},
                      {"attributes", product.attributes},
                      {"status", product.status},
                      {"version", product.version},
                      {"createdAt", product.created_at},
                      {"updatedAt", product.updated_at}};
}

Product product_from_json(const json::value& value) {
  const auto& o = value.as_object();
  auto text = [&](std::string_view name) { return std::string(o.at(name).as_string()); };
  return Product{text("id"),
                 text("sku"),
                 text("name"),
                 text("description"),
                 o.at("priceCents").to_number<std::int64_t>(),
                 text("currency"),
                 text("category"),
                 o.at("attributes").as_object(),
                 text("status"),
                 o.at("version").to_number<std::int64_t>(),
                 text("createdAt"),
                 text("updatedAt")};
}

}  // namespace ordo::contracts
