// The e-mail channel: each notification as a multipart/alternative message sent over SMTP with
// libcurl (smtp:// with STARTTLS when the server offers it, or smtps://). libcurl blocks, so
// sending runs on the channel's own thread, never on the event loop.
#pragma once

#include <string>

#include <boost/asio/thread_pool.hpp>

#include "services/notifications/channel.hpp"
#include "services/notifications/email_message.hpp"

namespace ordo::services::notifications {

class EmailChannel final : public Channel {
 public:
  static constexpr std::string_view kName = "email";
  EmailChannel(std::string smtp_url, std::string from, EmailTemplates templates);
  ~EmailChannel() override;

  std::string_view name() const override { return kName; }
  // Throws PermanentDeliveryError on a 5xx reply (the address or message is refused for good),
  // std::runtime_error when the server is unreachable, answers 4xx, or the recipient has no
  // address yet: those are tried again.
  boost::asio::awaitable<void> deliver(const Notification& notification,
                                       const Recipient& recipient) override;

 private:
  std::string smtp_url_;
  std::string from_;
  EmailTemplates templates_;
  boost::asio::thread_pool sender_{1};  // one message at a time: the dispatcher sends in turn
};

// Every *.txt and *.html file of dir by name (none when dir is empty). Throws std::runtime_error
// when dir is set but cannot be read.
EmailTemplates read_email_templates(const std::string& dir);

// One message to one recipient over SMTP, blocking. The errors are deliver()'s.
void send_smtp(const std::string& smtp_url, const std::string& from_address,
               const std::string& to_address, const std::string& message);

}  // namespace ordo::services::notifications
