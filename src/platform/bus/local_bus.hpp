// The in-process bus of the embedded mode: durable because nothing is confirmed to the relay
// until every subscription has handled (committed) the event.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "platform/bus/bus.hpp"

namespace ordo::bus {

std::unique_ptr<Bus> make_local_bus(boost::asio::any_io_executor executor, BatchOptions batch = {});

}  // namespace ordo::bus
