// The notifications service's HTTP routes (GET /notifications, GET /notifications/{id}) and its
// wiring: channels, dispatcher and the event subscription.
#include <boost/json.hpp>

#include "contracts/notifications.hpp"
#include "host/registry.hpp"
#include "platform/auth/p256.hpp"
#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"
#include "platform/http/middleware.hpp"
#include "platform/http/pagination.hpp"
#include "platform/http/problem.hpp"
#include "platform/log/log.hpp"
#include "services/notifications/channel.hpp"
#include "services/notifications/consumes.hpp"
#include "services/notifications/dispatcher.hpp"
#include "services/notifications/domain.hpp"
#include "services/notifications/live.hpp"
#include "services/notifications/requests.hpp"
#include "services/notifications/service.hpp"
#include "services/notifications/settings.hpp"
#include "services/notifications/store.hpp"
#include "services/notifications/webhook_api.hpp"

namespace ordo::services::notifications {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
namespace json = boost::json;

std::vector<std::string> channel_names(const std::vector<std::unique_ptr<Channel>>& channels) {
  std::vector<std::string> names;
  for (const auto& channel : channels)
    names.emplace_back(channel->name());
  return names;
}

class NotificationsApi final : public host::Service {
 public:
  explicit NotificationsApi(host::ServiceResources& resources)
      : resources_(resources),
        store_(resources.db),
        vapid_key_(vapid_key(resources.config)),
        channel_names_(),
        dispatcher_(resources.executor, resources.db, channels(resources.config),
                    dispatcher_options(resources.config)),
        webhooks_(resources, [this] { dispatcher_.wake(); }),
        stream_slots_(resources.config.stream_max_open) {}

  void add_routes(http::Router& router) override {
    router.get("/notifications", [this](Request& r) { return list(r); });
    router.get("/notifications/stream", [this](Request& r) { return stream(r); });
    router.get("/notifications/{id}", [this](Request& r) { return get(r); });
    router.get("/notifications/vapid-public-key",
               [this](Request& r) { return vapid_public_key(r); });
    webhooks_.add_routes(router);
  }

  std::vector<bus::Subscription> subscriptions() override {
    std::vector<bus::Subscription> all;
    all.push_back(subscription(resources_.db, channel_names_, [this] {
      dispatcher_.wake();
      webhooks_.wake();
    }));
    return all;
  }

  awaitable<void> start() override {
    dispatcher_.start();
    webhooks_.start();
    co_return;
  }

  // A send in flight is finished and recorded, and what a pass claimed but did not send is
  // released, so the next process (or another instance) sends it at once.
  awaitable<void> stop() override {
    co_await dispatcher_.stop();
    co_await webhooks_.stop();
  }

 private:
  // The VAPID key when Web Push is on: read (or made, on the very first start) from the file
  // every notifications instance shares.
  static std::optional<auth::P256Key> vapid_key(const config::Config& config) {
    if (!config.section<Settings>().push_enabled)
      return std::nullopt;
    return auth::load_or_create_p256_key(vapid_key_path(config));
  }

  // Builds the configured channels and remembers their names for the consumer.
  std::vector<std::unique_ptr<Channel>> channels(const config::Config& config) {
    ChannelSettings settings{config.section<Settings>().smtp_url,
                             config.section<Settings>().email_from,
                             config.section<Settings>().email_templates_dir,
                             config.section<Settings>().sms_url,
                             config.section<Settings>().sms_account,
                             config.section<Settings>().sms_token,
                             config.section<Settings>().sms_from};
    settings.vapid_key = vapid_key_;
    settings.vapid_subject = config.section<Settings>().vapid_subject;
    settings.push_allow_private = config.section<Settings>().webhook_allow_private;
    settings.on_push_expired = [this](std::string user_id, std::string endpoint) {
      return forget_push_subscription(std::move(user_id), std::move(endpoint));
    };
    auto built = make_channels(configured_channel_names(settings), settings);
    channel_names_ = channel_names(built);
    return built;
  }

  awaitable<void> forget_push_subscription(std::string user_id, std::string endpoint) {
    if (co_await store_.remove_push_subscription(user_id, endpoint)) {
      log::info("notifications", "expired push subscription forgotten", {{"recipientId", user_id}});
    }
  }

  // Public: a browser needs it (applicationServerKey) before anyone is signed in to subscribe.
  awaitable<Response> vapid_public_key(Request&) {
    if (!vapid_key_)
      errors::raise(errors::not_found("Web Push is not enabled (notifications.push_enabled)"));
    co_return Response::json(
        200, json::object{{"publicKey", core::base64url_encode(vapid_key_->public_point())}});
  }

  static DispatcherOptions dispatcher_options(const config::Config& config) {
    DispatcherOptions options;
    options.retry.max_attempts = config.section<Settings>().retry_max_attempts;
    options.retry.base_delay = config.section<Settings>().retry_base;
    options.retry.max_delay = config.section<Settings>().retry_max;
    return options;
  }

  awaitable<Response> list(Request& request) {
    const auto& principal = http::require_user(request);
    auto page_request = http::page_request(request);
    auto filter = parse_list_filter(request);
    // A user sees only their own; ?userId= of someone else is refused rather than silently
    // ignored, so a client bug does not look like an empty inbox.
    if (!principal.is_admin()) {
      if (filter.recipient_id && *filter.recipient_id != principal.user_id)
        errors::raise(errors::forbidden("only admins may list other users' notifications"));
      filter.recipient_id = principal.user_id;
    }
    if (page_request.after && !core::is_uuid(*page_request.after)) {
      errors::raise(errors::validation_failed({{"cursor", "is not a cursor this API issued"}}));
    }
    auto page = co_await store_.list(filter, page_request.after, page_request.limit);
    json::array items;
    for (const auto& notification : page.items)
      items.push_back(contracts::to_json(to_contract(notification)));
    co_return http::page_response(request, std::move(items), page.next_after_id);
  }

  // The caller's new notifications as Server-Sent Events (live.hpp, docs/streams.md).
  awaitable<Response> stream(Request& request) {
    const auto& principal = http::require_user(request);
    auto ticket = stream_slots_.take();
    if (!ticket)
      http::sse::raise_too_many_streams();
    std::optional<std::string> last_event_id;
    if (auto header = request.headers.get("Last-Event-ID"); header && core::is_uuid(*header))
      last_event_id = std::string(*header);
    NotificationStreamSettings settings{resources_.config.stream_heartbeat,
                                        resources_.config.stream_poll};
    co_return http::sse::stream_response([this, user_id = principal.user_id, last_event_id,
                                          settings, ticket](http::StreamWriter& writer) {
      return stream_notifications(store_, user_id, last_event_id, settings, ticket, writer);
    });
  }

  awaitable<Response> get(Request& request) {
    const auto& principal = http::require_user(request);
    std::string id(request.path_param("id"));
    std::optional<Notification> notification;
    if (core::is_uuid(id))
      notification = co_await store_.find(id);
    // Someone else's notification is "not found": existence is not disclosed.
    if (!notification || (!principal.is_admin() && notification->recipient_id != principal.user_id))
      errors::raise(errors::not_found("no such notification"));
    co_return Response::json(200, contracts::to_json(to_contract(*notification)));
  }

  host::ServiceResources& resources_;
  NotificationStore store_;
  std::optional<auth::P256Key> vapid_key_;  // when Web Push is on
  std::vector<std::string> channel_names_;  // before dispatcher_: filled while it is built
  Dispatcher dispatcher_;
  WebhookApi webhooks_;
  http::sse::StreamSlots stream_slots_;
};

}  // namespace

const auto kRegistration =
    host::register_service<NotificationsApi>({.name = "notifications",
                                              .port = 3005,
                                              .start_order = 5,
                                              .migrations = &migrations,
                                              .settings = settings_section()});

}  // namespace ordo::services::notifications
