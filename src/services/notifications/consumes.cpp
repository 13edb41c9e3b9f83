// The notifications service's consumer: each event type, its decoder (the contract's parser
// plus what must hold; anything it throws makes the event dead) and its effect in the store.
#include "services/notifications/consumes.hpp"

#include <stdexcept>

#include "contracts/events.hpp"
#include "platform/bus/consumer.hpp"
#include "platform/core/time.hpp"
#include "services/notifications/domain.hpp"
#include "services/notifications/store.hpp"
#include "services/notifications/webhook_store.hpp"

namespace ordo::services::notifications {
namespace {
namespace asio = boost::asio;
namespace events = contracts::events;
namespace json = boost::json;
using Channels = std::vector<std::string>;

constexpr std::string_view kConsumer = "notifications";

void require(bool ok, const char* what) {
  if (!ok)
    throw std::invalid_argument(what);
}

events::UserRegistered decode_user(const json::value& data) {
  auto user = events::user_registered_from_json(data);
  require(!user.user_id.empty(), "userId is empty");
  return user;
}

events::OrderStatusChanged decode_order(const json::value& data) {
  auto order = events::order_status_changed_from_json(data);
  require(!order.order_id.empty() && !order.user_id.empty(), "orderId or userId is empty");
  return order;
}

events::OrderCreated decode_order_created(const json::value& data) {
  auto order = events::order_created_from_json(data);
  require(!order.order_id.empty(), "orderId is empty");
  return order;
}

events::LowStock decode_low_stock(const json::value& data) {
  auto low_stock = events::low_stock_from_json(data);
  require(!low_stock.product_id.empty(), "productId is empty");
  return low_stock;
}

Recipient recipient_of(const events::UserRegistered& user) {
  return Recipient{user.user_id,     user.email,
                   user.name,        user.role,
                   user.active,      user.phone.value_or(""),
                   user.preferences, user.push_subscriptions};
}

// One notification per channel the recipient wants (wants_channel): a channel they turned off,
// or SMS to someone without a phone, gets no row at all.
asio::awaitable<void> notify(sql::Transaction& tx, const bus::CloudEvent& event,
                             const Recipient& recipient, const Message& message,
                             const Channels& channels) {
  auto now_ms = core::unix_millis();
  for (const auto& channel : channels) {
    if (!wants_channel(recipient, event.type, channel))
      continue;
    NewNotification notification{recipient.user_id, event.id, event.type, channel, message};
    co_await NotificationStore::add_notification(tx, notification, now_ms);
  }
}

asio::awaitable<void> on_registered(sql::Transaction& tx, const events::UserRegistered& user,
                                    const bus::CloudEvent& event, const Channels& channels) {
  auto recipient = recipient_of(user);
  co_await NotificationStore::add_recipient(tx, recipient);
  auto message = welcome_message(user);
  co_await notify(tx, event, recipient, message, channels);
  co_await add_webhook_deliveries(tx, event);
}

asio::awaitable<void> on_updated(sql::Transaction& tx, const events::UserRegistered& user,
                                 const bus::CloudEvent& event) {
  auto recipient = recipient_of(user);
  co_await NotificationStore::put_recipient(tx, recipient);
  co_await add_webhook_deliveries(tx, event);
}

// The recipient is the event's user even when the view has not heard of them yet (then with
// the default preferences and no phone).
asio::awaitable<void> on_order(sql::Transaction& tx, const events::OrderStatusChanged& order,
                               const bus::CloudEvent& event, const Channels& channels) {
  auto message = order_message(event.type, order);
  auto known = co_await NotificationStore::recipient(tx, order.user_id);
  Recipient recipient = known.value_or(Recipient{});
  recipient.user_id = order.user_id;
  co_await notify(tx, event, recipient, message, channels);
  co_await add_webhook_deliveries(tx, event);
}

// Only webhooks are told of a new order (its customer hears of the outcome).
asio::awaitable<void> on_order_created(sql::Transaction& tx, const events::OrderCreated&,
                                       const bus::CloudEvent& event) {
  co_await add_webhook_deliveries(tx, event);
}

asio::awaitable<void> on_low_stock(sql::Transaction& tx, const events::LowStock& low_stock,
                                   const bus::CloudEvent& event, const Channels& channels) {
  auto message = low_stock_message(low_stock);
  auto view = co_await NotificationStore::admins(tx);
  for (const auto& admin : low_stock_recipients(view))
    co_await notify(tx, event, admin, message, channels);
  co_await add_webhook_deliveries(tx, event);
}

}  // namespace

bus::Subscription subscription(sql::Database& db, Channels channels,
                               std::function<void()> after_commit) {
  // Not coroutine lambdas: they hand the channels (kept by the consumer) to the coroutines.
  auto registered = [channels](sql::Transaction& tx, const events::UserRegistered& user,
                               const bus::CloudEvent& event) {
    return on_registered(tx, user, event, channels);
  };
  auto order = [channels](sql::Transaction& tx, const events::OrderStatusChanged& changed,
                          const bus::CloudEvent& event) {
    return on_order(tx, changed, event, channels);
  };
  auto low_stock = [channels](sql::Transaction& tx, const events::LowStock& low,
                              const bus::CloudEvent& event) {
    return on_low_stock(tx, low, event, channels);
  };
  bus::Consumer consumer(db, std::string(kConsumer));
  consumer.on(events::kUserRegistered, decode_user, registered)
      .on(events::kUserUpdated, decode_user, on_updated)
      .on(events::kOrderCreated, decode_order_created, on_order_created)
      .on(events::kOrderConfirmed, decode_order, order)
      .on(events::kOrderRejected, decode_order, order)
      .on(events::kOrderCancelled, decode_order, order)
      .on(events::kInventoryLowStock, decode_low_stock, low_stock);
  if (after_commit)
    consumer.after_commit(std::move(after_commit));
  return consumer.subscription();
}

}  // namespace ordo::services::notifications
