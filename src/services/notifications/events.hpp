// What the notifications service consumes (it emits nothing): users for its recipients view,
// order outcomes for their customer, low stock for every admin.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "platform/bus/outbox.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::notifications {

inline constexpr std::string_view kConsumer = "notifications";

std::vector<std::string> consumed_types();

// The effect of one event inside the inbox transaction: keeps the recipients view and stores one
// notification per recipient per channel. Throws bus::PoisonEvent on a malformed payload.
boost::asio::awaitable<void> apply_event(sql::Transaction& tx, const bus::CloudEvent& event,
                                         const std::vector<std::string>& channels);

// The subscription's handler: apply_event once per event id (bus::idempotent_handler), then
// after_commit() — outside the transaction — so the dispatcher delivers what was just stored.
bus::EventHandler event_handler(sql::Database& db, std::vector<std::string> channels,
                                std::function<void()> after_commit);

}  // namespace ordo::services::notifications
