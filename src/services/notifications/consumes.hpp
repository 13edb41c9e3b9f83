// What the notifications service consumes (it emits nothing): users for its recipients view,
// order outcomes for their customer, low stock for every admin. A list of typed handlers on
// bus::Consumer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "platform/bus/bus.hpp"
#include "platform/sql/database.hpp"

namespace ordo::services::notifications {

// The durable subscription "notifications": keeps the recipients view and stores one
// notification per recipient per channel; after a batch that stored any, after_commit() (the
// dispatcher's wake-up) runs outside the transaction.
bus::Subscription subscription(sql::Database& db, std::vector<std::string> channels,
                               std::function<void()> after_commit);

}  // namespace ordo::services::notifications
