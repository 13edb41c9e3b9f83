// CloudEvents 1.0 JSON format: building, serializing and strictly parsing the envelope.
#include "platform/bus/cloud_event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/ids.hpp"
#include "platform/core/json_numbers.hpp"
#include "platform/core/time.hpp"

namespace ordo::bus {
namespace json = boost::json;

namespace {
bool reject(std::string* error, std::string reason) {
  if (error != nullptr) {
    *error = std::move(reason);
  }
  return false;
}

// Copies a string attribute; an absent one is fine unless `required`, a non-string never is.
bool read_attribute(const json::object& object, std::string_view name, bool required,
                    std::string& out, std::string* error) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || (value->is_null() && !required)) {
    return required ? reject(error, "missing attribute '" + std::string(name) + "'") : true;
  }
  if (!value->is_string()) {
    return reject(error, "attribute '" + std::string(name) + "' must be a string");
  }
  out = std::string(value->as_string());
  if (required && out.empty()) {
    return reject(error, "attribute '" + std::string(name) + "' must not be empty");
  }
  return true;
}

bool read_envelope(const json::object& object, CloudEvent& event, std::string* error) {
  const json::value* version = object.if_contains("specversion");
  if (version == nullptr || !version->is_string() || version->as_string() != "1.0") {
    return reject(error, "specversion must be \"1.0\"");
  }
  struct Attribute {
    std::string_view name;
    bool required;
    std::string CloudEvent::*field;
  };
  static constexpr Attribute kAttributes[] = {
      {"id", true, &CloudEvent::id},
      {"source", true, &CloudEvent::source},
      {"type", true, &CloudEvent::type},
      {"time", false, &CloudEvent::time},
      {"subject", false, &CloudEvent::subject},
      {"datacontenttype", false, &CloudEvent::datacontenttype},
      {"traceparent", false, &CloudEvent::traceparent},
  };
  for (const Attribute& a : kAttributes) {
    if (!read_attribute(object, a.name, a.required, event.*(a.field), error)) {
      return false;
    }
  }
  // An empty content type says nothing (RFC 2046 has no empty type); serialize() omits it, so
  // it must read as the default, or the event would change when written out again.
  if (event.datacontenttype.empty()) {
    event.datacontenttype = "application/json";
  }
  if (const json::value* data = object.if_contains("data")) {
    event.data = *data;
  }
  return true;
}
}  // namespace

CloudEvent make_event(std::string source, std::string type, std::string subject, json::value data,
                      std::string traceparent) {
  CloudEvent event;
  event.id = core::uuid_v7();
  event.source = std::move(source);
  event.type = std::move(type);
  event.time = core::rfc3339();
  event.subject = std::move(subject);
  event.data = std::move(data);
  event.traceparent = std::move(traceparent);
  return event;
}

json::value to_json(const CloudEvent& event) {
  json::object object;
  object["specversion"] = "1.0";
  object["id"] = event.id;
  object["source"] = event.source;
  object["type"] = event.type;
  if (!event.time.empty()) {
    object["time"] = event.time;
  }
  if (!event.subject.empty()) {
    object["subject"] = event.subject;
  }
  if (!event.datacontenttype.empty()) {
    object["datacontenttype"] = event.datacontenttype;
  }
  // An extension attribute (W3C distributed tracing extension): absent rather than empty.
  if (!event.traceparent.empty()) {
    object["traceparent"] = event.traceparent;
  }
  object["data"] = event.data;
  return object;
}

std::string serialize(const CloudEvent& event) {
  return json::serialize(to_json(event));
}

std::optional<CloudEvent> parse_event(std::string_view text, std::string* error) {
  try {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec) {
      reject(error, "not JSON: " + ec.message());
      return std::nullopt;
    }
    if (!value.is_object()) {
      reject(error, "an event must be a JSON object");
      return std::nullopt;
    }
    // A consumer may write the event out again (a dead letter): it must be writable back.
    if (!core::all_numbers_finite(value)) {
      reject(error, "an event must not hold a number out of range");
      return std::nullopt;
    }
    CloudEvent event;  // datacontenttype stays application/json unless the envelope says
    if (!read_envelope(value.as_object(), event, error)) {
      return std::nullopt;
    }
    return event;
  } catch (const std::exception& e) {
    reject(error, std::string("unreadable event: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace ordo::bus
