// Webhooks, the parts without I/O: which events can be subscribed to, what a registration or an
// update may hold, the Standard Webhooks signature, the retry schedule and the SSRF address rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/json/object.hpp>

namespace ordo::services::notifications {

inline constexpr std::string_view kWebhookActive = "active";
inline constexpr std::string_view kWebhookDisabled = "disabled";
inline constexpr std::string_view kDeliveryPending = "pending";
inline constexpr std::string_view kDeliverySucceeded = "succeeded";
inline constexpr std::string_view kDeliveryFailed = "failed";
inline constexpr std::string_view kAllEvents = "*";
inline constexpr std::size_t kMaxWebhookUrlLength = 2048;
inline constexpr std::size_t kMaxWebhookDescriptionLength = 500;
inline constexpr std::size_t kMaxWebhookEvents = 32;

// The public event types a webhook may subscribe to (the catalog's names, except
// inventory.low_stock which is published as stock.low).
const std::vector<std::string>& webhook_event_types();
// The public type of a bus event, or nullopt when webhooks never carry it.
std::optional<std::string> webhook_event_type(std::string_view bus_type);
// Whether a webhook subscribed to `events` wants `type`.
bool subscribes_to(const std::vector<std::string>& events, std::string_view type);

// An http URL split for the client: "http://host:port" style origin parts and the target.
struct WebhookUrl {
  std::string host;  // without brackets
  std::uint16_t port = 80;
  std::string authority;  // as written in the URL, for the Host field
  std::string target;     // path and query, "/" at least
};
// nullopt unless an absolute http URL with a host, no user info and no fragment.
std::optional<WebhookUrl> parse_webhook_url(std::string_view url);

// Addresses a webhook may never reach unless private targets are allowed: loopback, RFC 1918,
// unique-local (fc00::/7), link-local (169.254/16 with the metadata address, fe80::/10),
// unspecified, and the IPv4-mapped forms of all of them; also CGNAT, multicast and broadcast.
bool is_forbidden_webhook_address(const boost::asio::ip::address& address);

// What POST /webhooks and PATCH /webhooks/{id} ask for (requests.hpp reads them). The URL's
// shape is checked there; where it resolves to is checked by the caller.
struct WebhookRegistration {
  std::string url;
  std::vector<std::string> events;
  std::string description;
};
struct WebhookPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> description;
  std::optional<std::string> status;  // "active" re-enables a disabled webhook
};

// "whsec_" + base64 of 32 random bytes (OpenSSL's CSPRNG).
std::string make_webhook_secret();
// The Standard Webhooks signature "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>", key being
// the base64-decoded part of the secret after "whsec_". Throws std::invalid_argument on a
// malformed secret.
std::string sign_webhook(std::string_view secret, std::string_view message_id,
                         std::int64_t timestamp_s, std::string_view body);
// The delivered body: {"type", "timestamp", "data"}.
std::string webhook_body(std::string_view type, std::string_view timestamp,
                         const boost::json::value& data);

// The wait after `failed_attempts` failures: base * 2^(failed_attempts-1) capped at max, of
// which the upper half is scaled by jitter (0..1) so endpoints that failed together do not all
// come back at the same moment.
std::chrono::milliseconds webhook_retry_delay(std::chrono::milliseconds base,
                                              std::chrono::milliseconds max, int failed_attempts,
                                              double jitter);

}  // namespace ordo::services::notifications
