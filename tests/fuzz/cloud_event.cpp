// What a consumer does with a message from the broker: the CloudEvent envelope (bus::parse_event),
// the event's time, then the payload through every decoder of src/contracts/events and what the
// services compute from a decoded payload (inventory's line merge, notifications' messages).
// Promises: an envelope parses or is refused with a reason; a parsed envelope serialized parses to
// the same event; a payload decodes or throws std::exception (the consumer's "poison"), and a
// decoded payload encoded again decodes to the same.
#include <algorithm>
#include <cmath>

#include <boost/json/serialize.hpp>

#include "contracts/events.hpp"
#include "fuzz_support.hpp"
#include "platform/bus/cloud_event.hpp"
#include "platform/core/time.hpp"
#include "services/inventory/domain.hpp"
#include "services/notifications/domain.hpp"

namespace {

using namespace ordo;
namespace events = contracts::events;
namespace json = boost::json;

// Equal JSON, but for the last digits of numbers that are not integers: Boost.JSON 1.81 reads
// them imprecisely (a value it wrote may read back a few units in the last place off).
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::abs(x - y) <= std::max(std::abs(x), std::abs(y)) * 1e-14;
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), same_json);
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    return x.size() == y.size() && std::all_of(x.begin(), x.end(), [&](const auto& member) {
             const auto* other = y.if_contains(member.key());
             return other != nullptr && same_json(member.value(), *other);
           });
  }
  return a == b;
}

bool same_event(const bus::CloudEvent& a, const bus::CloudEvent& b) {
  return a.id == b.id && a.source == b.source && a.type == b.type && a.time == b.time &&
         a.subject == b.subject && a.datacontenttype == b.datacontenttype &&
         same_json(a.data, b.data) && a.traceparent == b.traceparent;
}

// A payload decoder: the value, or nullopt when it refused the payload as documented; a value
// must survive encoding and decoding again.
template <typename Decode>
auto payload(Decode decode, const json::value& data) -> std::optional<decltype(decode(data))> {
  std::optional<decltype(decode(data))> decoded;
  try {
    decoded = decode(data);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  auto encoded = events::to_json(*decoded);
  fuzz::check(events::to_json(decode(encoded)) == encoded, "a payload does not re-encode");
  return decoded;
}

void decode_payloads(const bus::CloudEvent& event) {
  namespace notifications = services::notifications;
  if (auto user = payload(events::user_registered_from_json, event.data))
    notifications::welcome_message(*user);
  payload(events::session_ended_from_json, event.data);
  payload(events::product_snapshot_from_json, event.data);
  payload(events::product_created_from_json, event.data);
  if (auto order = payload(events::order_created_from_json, event.data)) {
    if (auto lines = services::inventory::merge_lines(order->lines)) {
      for (const auto& line : *lines)
        fuzz::check(line.quantity >= 1 && line.quantity <= services::inventory::kMaxStock,
                    "a merged line out of range");
    }
  }
  payload(events::stock_movement_from_json, event.data);
  payload(events::inventory_rejected_from_json, event.data);
  if (auto low = payload(events::low_stock_from_json, event.data))
    notifications::low_stock_message(*low);
  if (auto order = payload(events::order_status_changed_from_json, event.data)) {
    for (auto type : {events::kOrderConfirmed, events::kOrderRejected, events::kOrderCancelled})
      notifications::order_message(type, *order);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    std::string error;
    auto event = bus::parse_event(fuzz::as_text(data, size), &error);
    if (!event) {
      fuzz::check(!error.empty(), "an envelope refused without a reason");
      return 0;
    }
    fuzz::check(!event->id.empty() && !event->source.empty() && !event->type.empty(),
                "an envelope without id, source or type accepted");
    auto text = bus::serialize(*event);
    auto again = bus::parse_event(text, &error);
    if (!again || !same_event(*again, *event)) {
      std::fprintf(stderr, "serialized: %s\nread back: %s\n", text.c_str(),
                   again ? bus::serialize(*again).c_str() : error.c_str());
      fuzz::violated("an envelope does not re-encode");
    }
    if (auto millis = core::millis_from_rfc3339(event->time))
      services::inventory::within_grace(millis, 1'800'000'000'000);
    decode_payloads(*event);
  } catch (const std::exception& e) {
    fuzz::violated(std::string("unexpected exception: ") + e.what());
  }
  return 0;
}
