#include "services/notifications/push_channel.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <memory>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/blocking.hpp"
#include "platform/core/encoding.hpp"
#include "platform/core/time.hpp"
#include "platform/log/log.hpp"
#include "services/notifications/web_push_crypto.hpp"
#include "services/notifications/webhook_domain.hpp"

namespace ordo::services::notifications {
namespace {

constexpr long kConnectTimeoutMs = 5'000;
constexpr long kTotalTimeoutMs = 15'000;
// RFC 8292 2: at most 24 hours; half that leaves room for clock skew at the push service.
constexpr std::int64_t kVapidLifetimeS = 12 * 3600;
// Push services take about 4 KiB of body; the header takes 86 bytes and the tag 16.
constexpr std::size_t kMaxPayloadBytes = 3'000;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

void init_curl_once() {
  static const CURLcode initialized = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (initialized != CURLE_OK)
    throw std::runtime_error("libcurl could not be initialized");
}

// Checked on the address libcurl is about to connect to, so a DNS answer that changes between a
// check and the connection cannot point the request inside.
struct SocketGuard {
  bool allow_private = false;
  bool refused = false;
};

curl_socket_t open_checked_socket(void* data, curlsocktype, curl_sockaddr* address) {
  auto* guard = static_cast<SocketGuard*>(data);
  if (!guard->allow_private) {
    boost::asio::ip::address ip;
    if (address->family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address->addr);
      ip = boost::asio::ip::address_v4(ntohl(v4->sin_addr.s_addr));
    } else if (address->family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
      boost::asio::ip::address_v6::bytes_type bytes;
      std::copy(std::begin(v6->sin6_addr.s6_addr), std::end(v6->sin6_addr.s6_addr), bytes.begin());
      ip = boost::asio::ip::address_v6(bytes);
    } else {
      guard->refused = true;
      return CURL_SOCKET_BAD;
    }
    if (is_forbidden_webhook_address(ip)) {
      guard->refused = true;
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

std::size_t keep_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  std::size_t bytes = size * count;
  if (body->size() < 512)
    body->append(data, std::min(bytes, 512 - body->size()));
  return bytes;
}

// Cut at a UTF-8 character boundary.
std::string truncated(std::string text, std::size_t limit) {
  if (text.size() <= limit)
    return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  text.resize(end);
  return text;
}

std::string describe(const PushAttempt& attempt) {
  if (attempt.status == 0)
    return "the push service could not be reached: " + attempt.error;
  std::string out = "the push service answered " + std::to_string(attempt.status);
  if (!attempt.error.empty())
    out += ": " + attempt.error;
  return out;
}

}  // namespace

std::string push_payload(const Notification& notification) {
  boost::json::object payload{{"title", notification.subject}};
  boost::system::error_code ec;
  auto data = boost::json::parse(notification.data, ec);
  if (!ec && data.is_object()) {
    const auto& o = data.as_object();
    for (const char* field : {"orderId", "url"}) {
      if (auto it = o.find(field); it != o.end() && it->value().is_string())
        payload[field] = it->value().as_string();
    }
  }
  // The body gives way when the whole would not fit one push message.
  auto room = kMaxPayloadBytes - std::min(kMaxPayloadBytes, boost::json::serialize(payload).size());
  payload["body"] = truncated(notification.body, room / 2);
  return boost::json::serialize(payload);
}

PushAttempt post_push_message(const std::string& endpoint, const std::string& authorization,
                              const std::string& body, std::chrono::seconds ttl,
                              bool allow_private) {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl)
    throw std::runtime_error("libcurl: cannot create a handle");
  curl_slist* list = nullptr;
  for (std::string field :
       {"Content-Type: application/octet-stream", "Content-Encoding: aes128gcm", "Urgency: normal"})
    list = curl_slist_append(list, field.c_str());
  list = curl_slist_append(list, ("TTL: " + std::to_string(ttl.count())).c_str());
  list = curl_slist_append(list, ("Authorization: " + authorization).c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, CurlListDeleter> headers(list);
  if (!headers)
    throw std::runtime_error("libcurl: cannot build the header list");
  SocketGuard guard{allow_private};
  std::string answer;
  char error[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, endpoint.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, &guard);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, keep_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, kTotalTimeoutMs);
  CURLcode result = curl_easy_perform(handle);
  PushAttempt attempt;
  attempt.forbidden = guard.refused;
  if (result != CURLE_OK) {
    attempt.error = error[0] != '\0' ? error : curl_easy_strerror(result);
    return attempt;
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &attempt.status);
  attempt.error = answer.substr(0, 200);
  return attempt;
}

PushChannel::PushChannel(PushSettings settings, ExpiredSubscription on_expired)
    : settings_(std::move(settings)), on_expired_(std::move(on_expired)) {
  init_curl_once();
}

PushChannel::~PushChannel() {
  sender_.join();  // a send in progress ends (bounded by its timeout) before the channel goes
}

boost::asio::awaitable<void> PushChannel::deliver(const Notification& notification,
                                                  const Recipient& recipient) {
  // Retrying cannot conjure a browser: the user has to subscribe one first.
  if (recipient.push_subscriptions.empty())
    throw PermanentDeliveryError("the recipient has no push subscription");
  auto payload = push_payload(notification);
  int delivered = 0;
  std::string retryable;
  std::string permanent;
  for (const auto& subscription : recipient.push_subscriptions) {
    auto origin = web_push::endpoint_origin(subscription.endpoint);
    auto ua_public = core::base64url_decode(subscription.p256dh);
    auto auth = core::base64url_decode(subscription.auth);
    std::string body;
    try {
      if (!origin || !ua_public || !auth)
        throw std::invalid_argument("the subscription is malformed");
      body = web_push::encrypt(payload, *ua_public, *auth);
    } catch (const std::invalid_argument& e) {
      permanent = e.what();
      continue;
    }
    auto exp = core::unix_millis() / 1000 + kVapidLifetimeS;
    auto authorization =
        web_push::vapid_authorization(settings_.vapid_key, *origin, exp, settings_.subject);
    auto send = [endpoint = subscription.endpoint, authorization = std::move(authorization),
                 body = std::move(body), ttl = settings_.ttl,
                 allow_private = settings_.allow_private] {
      return post_push_message(endpoint, authorization, body, ttl, allow_private);
    };
    auto attempt = co_await core::run_blocking(sender_, std::move(send));
    if (attempt.status >= 200 && attempt.status < 300) {
      ++delivered;
    } else if (attempt.status == 404 || attempt.status == 410) {
      // The browser unsubscribed or the push service dropped it: it will never come back.
      permanent = "the push subscription has expired (" + std::to_string(attempt.status) + ")";
      if (on_expired_)
        co_await on_expired_(recipient.user_id, subscription.endpoint);
    } else if (attempt.forbidden) {
      permanent = "the push endpoint resolves to a private address";
    } else if (attempt.status == 0 || attempt.status == 429 || attempt.status >= 500) {
      retryable = describe(attempt);
    } else {
      permanent = describe(attempt);
    }
  }
  if (delivered > 0) {
    if (!retryable.empty() || !permanent.empty()) {
      log::warn("notifications", "push not taken by every browser",
                {{"notificationId", notification.id},
                 {"recipientId", recipient.user_id},
                 {"error", retryable.empty() ? permanent : retryable}});
    }
    log::info("notifications", "push sent",
              {{"channel", kName},
               {"notificationId", notification.id},
               {"recipientId", recipient.user_id},
               {"eventType", notification.event_type},
               {"browsers", std::to_string(delivered)}});
    co_return;
  }
  if (!retryable.empty())
    throw std::runtime_error(retryable);
  throw PermanentDeliveryError(permanent);
}

}  // namespace ordo::services::notifications
