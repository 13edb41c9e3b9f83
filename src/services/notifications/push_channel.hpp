// The Web Push channel: each notification as a small JSON message ({title, body, orderId?, url?})
// encrypted for each of the recipient's browsers (RFC 8291, web_push_crypto.hpp) and POSTed to
// its push service's endpoint (RFC 8030) with a VAPID token (RFC 8292). libcurl sends (http and
// https, the system's CAs), on the channel's own thread, never on the event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "platform/auth/p256.hpp"
#include "services/notifications/channel.hpp"

namespace ordo::services::notifications {

struct PushSettings {
  auth::P256Key vapid_key;
  std::string subject;  // the VAPID sub: mailto: or https: contact of the sender
  std::chrono::seconds ttl{std::chrono::hours(24)};  // how long a push service may hold a message
  // Endpoints resolving to loopback, private, link-local ... addresses are refused (the
  // webhooks' SSRF rules) unless this is set (notifications.webhook_allow_private).
  bool allow_private = false;
};

// What one POST to a push service came to.
struct PushAttempt {
  long status = 0;         // the HTTP status; 0 when no answer came
  std::string error;       // why no answer came (libcurl's words), or the answer's start
  bool forbidden = false;  // the endpoint resolved to an address the SSRF rules refuse
};

// The push message's plaintext: {title: subject, body, orderId?, url?} from what the other
// channels send (url only when the event's data names one).
std::string push_payload(const Notification& notification);

// One encrypted message to one endpoint, blocking; the headers RFC 8030/8291/8292 want.
PushAttempt post_push_message(const std::string& endpoint, const std::string& authorization,
                              const std::string& body, std::chrono::seconds ttl,
                              bool allow_private);

class PushChannel final : public Channel {
 public:
  static constexpr std::string_view kName = "push";
  // Told of a subscription its push service says is gone (404/410), to forget it.
  using ExpiredSubscription =
      std::function<boost::asio::awaitable<void>(std::string user_id, std::string endpoint)>;
  PushChannel(PushSettings settings, ExpiredSubscription on_expired);
  ~PushChannel() override;

  std::string_view name() const override { return kName; }
  // Sends to every subscription of the recipient. Delivered once any browser's push service took
  // it (2xx); otherwise std::runtime_error (retried) when any answered 429 or 5xx or could not be
  // reached, else PermanentDeliveryError: no subscription, every one gone (404/410, each then
  // forgotten) or refused (other 4xx, with the reply).
  boost::asio::awaitable<void> deliver(const Notification& notification,
                                       const Recipient& recipient) override;

 private:
  PushSettings settings_;
  ExpiredSubscription on_expired_;
  boost::asio::thread_pool sender_{1};
};

}  // namespace ordo::services::notifications
