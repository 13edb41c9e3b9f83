#include "services/notifications/events.hpp"

#include "contracts/events.hpp"
#include "platform/core/time.hpp"
#include "services/notifications/domain.hpp"
#include "services/notifications/store.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;

// The payload parsers throw on a wrong shape; such an event can never be applied.
template <typename Parse>
auto parse_or_poison(const bus::CloudEvent& event, Parse parse) -> decltype(parse(event.data)) {
  try {
    return parse(event.data);
  } catch (const std::exception& e) {
    throw bus::PoisonEvent("malformed " + event.type + " payload: " + e.what());
  }
}

void require(bool ok, const bus::CloudEvent& event, std::string_view what) {
  if (!ok)
    throw bus::PoisonEvent("malformed " + event.type + " payload: " + std::string(what));
}

Recipient recipient_of(const events::UserRegistered& user) {
  return Recipient{user.user_id, user.email, user.name, user.role, user.active};
}

asio::awaitable<void> notify(sql::Transaction& tx, const bus::CloudEvent& event,
                             const std::string& recipient_id, const Message& message,
                             const std::vector<std::string>& channels) {
  auto now_ms = core::unix_millis();
  for (const auto& channel : channels) {
    NewNotification notification{recipient_id, event.id, event.type, channel, message};
    co_await NotificationStore::add_notification(tx, notification, now_ms);
  }
}

asio::awaitable<void> on_user(sql::Transaction& tx, const bus::CloudEvent& event,
                              const std::vector<std::string>& channels) {
  auto user = parse_or_poison(event, events::user_registered_from_json);
  require(!user.user_id.empty(), event, "userId is empty");
  auto recipient = recipient_of(user);
  if (event.type == events::kUserUpdated) {
    co_await NotificationStore::put_recipient(tx, recipient);
    co_return;
  }
  co_await NotificationStore::add_recipient(tx, recipient);
  auto message = welcome_message(user);
  co_await notify(tx, event, user.user_id, message, channels);
}

asio::awaitable<void> on_order(sql::Transaction& tx, const bus::CloudEvent& event,
                               const std::vector<std::string>& channels) {
  auto order = parse_or_poison(event, events::order_status_changed_from_json);
  require(!order.order_id.empty() && !order.user_id.empty(), event, "orderId or userId is empty");
  // The recipient is the event's user even when the view has not heard of them yet.
  auto message = order_message(event.type, order);
  co_await notify(tx, event, order.user_id, message, channels);
}

asio::awaitable<void> on_low_stock(sql::Transaction& tx, const bus::CloudEvent& event,
                                   const std::vector<std::string>& channels) {
  auto low_stock = parse_or_poison(event, events::low_stock_from_json);
  require(!low_stock.product_id.empty(), event, "productId is empty");
  auto message = low_stock_message(low_stock);
  auto view = co_await NotificationStore::admins(tx);
  for (const auto& admin : low_stock_recipients(view))
    co_await notify(tx, event, admin.user_id, message, channels);
}

asio::awaitable<void> handle_then(bus::EventHandler inner, std::function<void()> after,
                                  const bus::CloudEvent& event) {
  co_await inner(event);
  if (after)
    after();
}

}  // namespace

std::vector<std::string> consumed_types() {
  return {std::string(events::kUserRegistered), std::string(events::kUserUpdated),
          std::string(events::kOrderConfirmed), std::string(events::kOrderRejected),
          std::string(events::kOrderCancelled), std::string(events::kInventoryLowStock)};
}

asio::awaitable<void> apply_event(sql::Transaction& tx, const bus::CloudEvent& event,
                                  const std::vector<std::string>& channels) {
  const auto& type = event.type;
  if (type == events::kUserRegistered || type == events::kUserUpdated) {
    co_await on_user(tx, event, channels);
  } else if (type == events::kOrderConfirmed || type == events::kOrderRejected ||
             type == events::kOrderCancelled) {
    co_await on_order(tx, event, channels);
  } else if (type == events::kInventoryLowStock) {
    co_await on_low_stock(tx, event, channels);
  } else {
    throw bus::PoisonEvent("notifications does not handle " + type);
  }
}

bus::EventHandler event_handler(sql::Database& db, std::vector<std::string> channels,
                                std::function<void()> after_commit) {
  // Plain (non-coroutine) lambdas: the coroutines they call copy what they need into their own
  // frames, so nothing captured by value lives in a coroutine lambda (g++ 12).
  bus::TransactionalHandler apply = [channels = std::move(channels)](sql::Transaction& tx,
                                                                     const bus::CloudEvent& event) {
    return apply_event(tx, event, channels);
  };
  auto inner = bus::idempotent_handler(db, std::string(kConsumer), std::move(apply));
  return [inner = std::move(inner), after = std::move(after_commit)](const bus::CloudEvent& event) {
    return handle_then(inner, after, event);
  };
}

}  // namespace ordo::services::notifications
