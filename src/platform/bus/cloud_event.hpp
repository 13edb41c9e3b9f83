// The CloudEvents 1.0 envelope (JSON format) that every event travels in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace ordo::bus {

struct CloudEvent {
  std::string id;       // UUIDv7; consumers deduplicate on it
  std::string source;   // "/ordo/users"
  std::string type;     // "user.registered"
  std::string time;     // RFC 3339
  std::string subject;  // the entity the event is about (its id)
  std::string datacontenttype = "application/json";
  boost::json::value data;
  std::string traceparent;  // W3C trace context of the request that caused it
};

// Makes an event with a fresh id and the current time.
CloudEvent make_event(std::string source, std::string type, std::string subject,
                      boost::json::value data, std::string traceparent);

boost::json::value to_json(const CloudEvent& event);
std::string serialize(const CloudEvent& event);
// Parses and checks the required attributes (specversion "1.0", id, source, type); nullopt and a
// reason when the envelope is malformed.
std::optional<CloudEvent> parse_event(std::string_view text, std::string* error = nullptr);

}  // namespace ordo::bus
