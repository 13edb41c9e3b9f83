#include "services/notifications/requests.hpp"

#include <algorithm>

#include "platform/core/ids.hpp"
#include "platform/http/problem.hpp"
#include "services/notifications/domain.hpp"

namespace ordo::services::notifications {
namespace {
namespace json = boost::json;

// events: a non-empty array of distinct known types, or ["*"].
std::optional<std::vector<std::string>> read_events(const json::object& body,
                                                    std::vector<errors::FieldError>& problems) {
  const auto* value = body.if_contains("events");
  const auto* array = value ? value->if_array() : nullptr;
  if (array == nullptr || array->empty() || array->size() > kMaxWebhookEvents) {
    problems.push_back({"events", "must be a non-empty array of event types (or [\"*\"])"});
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* text = (*array)[i].if_string();
    std::string type = text ? std::string(*text) : std::string();
    bool known = type == kAllEvents || std::ranges::count(webhook_event_types(), type) == 1;
    if (!known) {
      problems.push_back({"events[" + std::to_string(i) + "]", "is not a known event type"});
      continue;
    }
    if (std::ranges::count(out, type) == 0)
      out.push_back(std::move(type));
  }
  return out;
}

std::optional<std::string> read_url(const json::object& body,
                                    std::vector<errors::FieldError>& problems) {
  const auto* value = body.if_contains("url");
  const auto* text = value ? value->if_string() : nullptr;
  if (text == nullptr || text->size() > kMaxWebhookUrlLength || !parse_webhook_url(*text)) {
    problems.push_back({"url", "must be an absolute http:// URL (https is not supported yet)"});
    return std::nullopt;
  }
  return std::string(*text);
}

std::optional<std::string> read_description(const json::object& body,
                                            std::vector<errors::FieldError>& problems) {
  const auto* value = body.if_contains("description");
  if (value == nullptr || value->is_null())
    return std::nullopt;
  const auto* text = value->if_string();
  if (text == nullptr || text->size() > kMaxWebhookDescriptionLength) {
    problems.push_back({"description", "must be a string of at most 500 characters"});
    return std::nullopt;
  }
  return std::string(*text);
}

void reject_unknown_fields(const json::object& body, std::initializer_list<std::string_view> known,
                           std::vector<errors::FieldError>& problems) {
  for (const auto& field : body) {
    std::string_view key(field.key().data(), field.key().size());
    if (std::ranges::find(known, key) == known.end())
      problems.push_back({std::string(field.key()), "is not a field of this resource"});
  }
}

}  // namespace

ListFilter parse_list_filter(const http::Request& request) {
  ListFilter filter;
  std::vector<errors::FieldError> problems;
  if (auto user_id = request.query_param("userId")) {
    if (!core::is_uuid(*user_id))
      problems.push_back({"userId", "must be a user id (UUID)"});
    else
      filter.recipient_id = std::string(*user_id);
  }
  if (auto status = request.query_param("status")) {
    if (!is_status(*status))
      problems.push_back({"status", "must be \"pending\", \"delivered\" or \"failed\""});
    else
      filter.status = std::string(*status);
  }
  if (!problems.empty())
    errors::raise(errors::validation_failed(std::move(problems)));
  return filter;
}

WebhookRegistration parse_webhook_registration(const json::object& body) {
  std::vector<errors::FieldError> problems;
  reject_unknown_fields(body, {"url", "events", "description"}, problems);
  auto url = read_url(body, problems);
  auto events = read_events(body, problems);
  auto description = read_description(body, problems);
  if (!problems.empty())
    errors::raise(errors::validation_failed(std::move(problems)));
  return {*url, *events, description.value_or("")};
}

WebhookPatch parse_webhook_patch(const json::object& body) {
  std::vector<errors::FieldError> problems;
  reject_unknown_fields(body, {"url", "events", "description", "status"}, problems);
  WebhookPatch patch;
  if (body.contains("url"))
    patch.url = read_url(body, problems);
  if (body.contains("events"))
    patch.events = read_events(body, problems);
  if (body.contains("description"))
    patch.description = read_description(body, problems).value_or("");
  if (const auto* status = body.if_contains("status")) {
    const auto* text = status->if_string();
    if (text == nullptr || (*text != kWebhookActive && *text != kWebhookDisabled))
      problems.push_back({"status", "must be \"active\" or \"disabled\""});
    else
      patch.status = std::string(*text);
  }
  if (!problems.empty())
    errors::raise(errors::validation_failed(std::move(problems)));
  return patch;
}

}  // namespace ordo::services::notifications
