// The products service's table. Every write that others must hear of enqueues its event in the
// same transaction; writes re-check the stored version so a concurrent change is never lost.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "contracts/products.hpp"
#include "platform/sql/database.hpp"
#include "services/products/domain.hpp"

namespace ordo::services::products {

struct ProductPage {
  std::vector<contracts::Product> items;
  std::optional<ListPosition> next;  // where this page ended, when more follow
};

template <typename Decision>
struct WriteOutcome {
  Decision decision{};
  contracts::Product product;  // after the write, or as found when nothing was written
};
using PatchOutcome = WriteOutcome<WriteDecision>;
using ArchiveOutcome = WriteOutcome<ArchiveDecision>;

class ProductStore {
 public:
  explicit ProductStore(sql::Database& db) : db_(db) {}

  // Inserts the product and its product.created event. nullopt when the SKU is taken.
  boost::asio::awaitable<std::optional<contracts::Product>> create(const NewProduct& input,
                                                                   const std::string& traceparent);
  boost::asio::awaitable<std::optional<contracts::Product>> find(const std::string& id);
  // nullopt when there is no such product. Writes (and emits product.updated) only on proceed.
  // Another writer that changes the product between this call's read and its write is not
  // overwritten: the product is read again and the decision taken again on its new version
  // (stale with an If-Match, the patch on top without); raced when that keeps happening.
  boost::asio::awaitable<std::optional<PatchOutcome>> patch(
      const std::string& id, const ProductPatch& patch, const std::optional<std::string>& if_match,
      const std::string& traceparent);
  // nullopt when there is no such product. Writes (and emits product.deleted) only on archive;
  // raced as for patch.
  boost::asio::awaitable<std::optional<ArchiveOutcome>> archive(
      const std::string& id, const std::optional<std::string>& if_match,
      const std::string& traceparent);
  // Active products matching the filter, in the filter's order, after `after`.
  boost::asio::awaitable<ProductPage> list(const ListFilter& filter,
                                           const std::optional<ListPosition>& after, int limit);

 private:
  sql::Database& db_;
};

}  // namespace ordo::services::products
