#include "services/notifications/live.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/time.hpp"

namespace ordo::services::notifications {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;

constexpr int kPage = 100;
constexpr std::int64_t kReconnectMs = 2'000;

std::string notification_event(const Notification& notification, bool with_retry) {
  http::sse::Event event;
  event.id = notification.id;
  event.event = "notification";
  event.data = boost::json::serialize(contracts::to_json(to_contract(notification)));
  if (with_retry)
    event.retry_ms = kReconnectMs;
  return http::sse::format(event);
}

}  // namespace

contracts::Notification to_contract(const Notification& n) {
  return contracts::Notification{n.id,         n.recipient_id, n.event_type,  n.channel,
                                 n.subject,    n.body,         n.status,      n.attempts,
                                 n.last_error, n.created_at,   n.delivered_at};
}

std::string uuid_v7_floor(std::int64_t unix_ms) {
  auto ms = static_cast<unsigned long long>(std::max<std::int64_t>(unix_ms, 0));
  char text[40];
  std::snprintf(text, sizeof text, "%08llx-%04llx-0000-0000-000000000000",
                (ms >> 16) & 0xffffffffULL, ms & 0xffffULL);
  return text;
}

NotificationCursor::NotificationCursor(std::optional<std::string> after, std::int64_t now_ms)
    : lower_(after ? *after : uuid_v7_floor(now_ms)), newest_(lower_) {}

std::string NotificationCursor::read_after(std::int64_t now_ms) const {
  // Everything above the newest id sent is new; below it, only what committed late, within the
  // look-back window. Never at or below the client's own bound.
  return std::max(lower_, std::min(newest_, uuid_v7_floor(now_ms - kLookbackMs)));
}

bool NotificationCursor::take(const std::string& id) {
  if (id <= lower_ || !sent_.insert(id).second)
    return false;
  newest_ = std::max(newest_, id);
  return true;
}

void NotificationCursor::prune(std::int64_t now_ms) {
  auto floor = uuid_v7_floor(now_ms - kLookbackMs);
  sent_.erase(sent_.begin(), sent_.lower_bound(floor));
}

awaitable<void> stream_notifications(NotificationStore& store, std::string recipient_id,
                                     std::optional<std::string> last_event_id,
                                     NotificationStreamSettings settings,
                                     http::sse::StreamSlots::Ticket ticket,
                                     http::StreamWriter& writer) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  writer.on_end([&timer] { timer.cancel(); });
  NotificationCursor cursor(last_event_id, core::unix_millis());
  bool first = true;
  auto next_heartbeat = Clock::now() + settings.heartbeat;
  while (!writer.ending()) {
    auto now_ms = core::unix_millis();
    std::string after = cursor.read_after(now_ms);
    std::string events;
    for (;;) {
      auto page = co_await store.newer_than(recipient_id, after, kPage);
      for (const auto& notification : page) {
        if (cursor.take(notification.id)) {
          events += notification_event(notification, first);
          first = false;
        }
      }
      if (static_cast<int>(page.size()) < kPage)
        break;
      after = page.back().id;
    }
    cursor.prune(now_ms);
    if (!events.empty() && !co_await writer.write(events))
      break;
    if (Clock::now() >= next_heartbeat) {
      if (!co_await writer.write(http::sse::comment("heartbeat")))
        break;
      next_heartbeat = Clock::now() + settings.heartbeat;
    }
    if (writer.ending())
      break;  // the callback may have run while no wait was pending
    timer.expires_at(std::min(Clock::now() + settings.poll, next_heartbeat));
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  (void)ticket;  // held until here
}

}  // namespace ordo::services::notifications
