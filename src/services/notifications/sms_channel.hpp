// The SMS channel: each notification's body as a text message through a Twilio-compatible
// provider API (POST {base}/Accounts/{account}/Messages.json, form-encoded To, From and Body,
// HTTP Basic auth account:token), sent with the platform HTTP client.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/http/client.hpp"
#include "services/notifications/channel.hpp"

namespace ordo::services::notifications {

struct SmsSettings {
  std::string base_url;  // "http://host:port/2010-04-01"
  std::string account;
  std::string token;
  std::string from;  // the sender: a number or a sender id the provider knows
};

// Where the messages are posted: the client's origin and the request target.
struct SmsEndpoint {
  std::string origin;     // "http://127.0.0.1:8080"
  std::string authority;  // for the Host field
  std::string target;     // "/2010-04-01/Accounts/AC123/Messages.json"
};
// nullopt unless base_url is an absolute http URL (the platform client speaks no TLS) without a
// query, and the account is non-empty.
std::optional<SmsEndpoint> sms_endpoint(std::string_view base_url, std::string_view account);

// application/x-www-form-urlencoded: unreserved bytes as they are, space as '+', the rest %XX.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// What the provider said when it refused: the "message" of its JSON error, else the body's start.
std::string provider_error(int status, std::string_view body);

class SmsChannel final : public Channel {
 public:
  static constexpr std::string_view kName = "sms";
  // Throws std::invalid_argument when the base URL is not usable (sms_endpoint).
  explicit SmsChannel(SmsSettings settings);
  ~SmsChannel() override;

  std::string_view name() const override { return kName; }
  // 2xx: sent. 4xx other than 429, or a recipient without a phone: PermanentDeliveryError with
  // the reason. 429, 5xx, other answers and an unreachable provider: std::runtime_error (retried).
  boost::asio::awaitable<void> deliver(const Notification& notification,
                                       const Recipient& recipient) override;

 private:
  SmsSettings settings_;
  SmsEndpoint endpoint_;
  std::unique_ptr<http::Client> client_;  // made on the first delivery, on its executor
};

}  // namespace ordo::services::notifications
