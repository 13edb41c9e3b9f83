#include "services/notifications/domain.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>

namespace ordo::services::notifications {
namespace events = contracts::events;

namespace {

// ISO 4217 currencies whose minor unit is not 1/100; every other code has two decimals.
int currency_decimals(std::string_view currency) {
  static constexpr std::array<std::string_view, 16> kNone{"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                          "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                          "VND", "VUV", "XAF", "XOF"};
  static constexpr std::array<std::string_view, 7> kThree{"BHD", "IQD", "JOD", "KWD",
                                                          "LYD", "OMR", "TND"};
  if (std::find(kNone.begin(), kNone.end(), currency) != kNone.end())
    return 0;
  if (std::find(kThree.begin(), kThree.end(), currency) != kThree.end())
    return 3;
  return 2;
}

std::string reason_text(std::string_view reason) {
  if (reason == "insufficient_stock")
    return "there is not enough stock";
  if (reason == "unknown_product")
    return "a product is not available";
  if (reason == "product_archived")
    return "a product is no longer sold";
  return std::string(reason);
}

std::string order_total(const events::OrderStatusChanged& order) {
  return format_money(order.total_cents, order.currency);
}

boost::json::object order_data(const events::OrderStatusChanged& order) {
  boost::json::object data{{"orderId", order.order_id},
                           {"status", order.status},
                           {"totalCents", order.total_cents},
                           {"currency", order.currency}};
  if (order.rejection)
    data["reason"] = order.rejection->reason;
  return data;
}

Message confirmed(const events::OrderStatusChanged& order) {
  return {"Order " + order.order_id + " confirmed",
          "Your order " + order.order_id + " for " + order_total(order) +
              " is confirmed. Its items are reserved for you.",
          order_data(order)};
}

Message rejected(const events::OrderStatusChanged& order) {
  std::string reason = order.rejection ? reason_text(order.rejection->reason) : "it was refused";
  std::string body = "Your order " + order.order_id + " for " + order_total(order) +
                     " was rejected: " + reason + ".";
  if (order.rejection) {
    for (const auto& line : order.rejection->lines) {
      body += "\n- product " + line.product_id + ": requested " + std::to_string(line.requested) +
              ", available " + std::to_string(line.available);
    }
  }
  return {"Order " + order.order_id + " rejected", body, order_data(order)};
}

Message cancelled(const events::OrderStatusChanged& order) {
  std::string body =
      "Your order " + order.order_id + " for " + order_total(order) + " was cancelled.";
  if (order.previous_status == "confirmed")
    body += " Its reserved items have been released.";
  return {"Order " + order.order_id + " cancelled", body, order_data(order)};
}

}  // namespace

bool is_status(std::string_view text) {
  return text == kStatusPending || text == kStatusDelivered || text == kStatusFailed;
}

std::string format_money(std::int64_t minor_units, std::string_view currency) {
  int decimals = currency_decimals(currency);
  // Unsigned magnitude: negating INT64_MIN would overflow.
  std::uint64_t magnitude = minor_units < 0 ? 0 - static_cast<std::uint64_t>(minor_units)
                                            : static_cast<std::uint64_t>(minor_units);
  std::string digits = std::to_string(magnitude);
  if (decimals > 0) {
    auto width = static_cast<std::size_t>(decimals) + 1;
    if (digits.size() < width)
      digits.insert(0, width - digits.size(), '0');
    digits.insert(digits.size() - static_cast<std::size_t>(decimals), ".");
  }
  std::string out = minor_units < 0 ? "-" + digits : digits;
  if (!currency.empty())
    out += " " + std::string(currency);
  return out;
}

Message welcome_message(const events::UserRegistered& user) {
  // The subject is logged by the log channel, so it names nobody; the body may.
  return {"Welcome to Ordo",
          "Hello " + user.name + ", your account " + user.email +
              " is ready. You will hear from us here about your orders.",
          boost::json::object{{"userId", user.user_id}}};
}

Message order_message(std::string_view event_type, const events::OrderStatusChanged& order) {
  if (event_type == events::kOrderConfirmed)
    return confirmed(order);
  if (event_type == events::kOrderRejected)
    return rejected(order);
  return cancelled(order);
}

Message low_stock_message(const events::LowStock& low_stock) {
  return {"Low stock: product " + low_stock.product_id,
          "Product " + low_stock.product_id + " has " + std::to_string(low_stock.available) +
              " units available, at or under its threshold of " +
              std::to_string(low_stock.threshold) + ".",
          boost::json::object{{"productId", low_stock.product_id},
                              {"available", low_stock.available},
                              {"threshold", low_stock.threshold}}};
}

std::string_view notification_kind(std::string_view event_type) {
  if (event_type == events::kUserRegistered)
    return "welcome";
  if (event_type == events::kOrderConfirmed)
    return "orderConfirmed";
  if (event_type == events::kOrderRejected)
    return "orderRejected";
  if (event_type == events::kOrderCancelled)
    return "orderCancelled";
  if (event_type == events::kInventoryLowStock)
    return "lowStock";
  return {};
}

bool wants_channel(const Recipient& recipient, std::string_view event_type,
                   std::string_view channel) {
  auto choice = recipient.preferences.of(notification_kind(event_type));
  if (channel == "email")
    return choice.email;
  if (channel == "sms")
    return choice.sms && !recipient.phone.empty();
  if (channel == "push")
    return choice.push && !recipient.push_subscriptions.empty();
  return true;
}

std::vector<Recipient> low_stock_recipients(const std::vector<Recipient>& view) {
  std::vector<Recipient> admins;
  std::copy_if(view.begin(), view.end(), std::back_inserter(admins),
               [](const Recipient& r) { return r.active && r.role == "admin"; });
  return admins;
}

std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy, int attempts) {
  if (attempts >= policy.max_attempts)
    return std::nullopt;
  auto delay = policy.base_delay;
  for (int i = 1; i < attempts && delay < policy.max_delay; ++i)
    delay *= 2;
  return std::min(delay, policy.max_delay);
}

}  // namespace ordo::services::notifications
