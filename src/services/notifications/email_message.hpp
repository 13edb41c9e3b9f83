// The e-mail channel's message: templates filled with a notification's values, and the
// multipart/alternative (plain text + HTML) message with its RFC 5322 headers. No I/O.
#pragma once

#include <ctime>
#include <map>
#include <string>
#include <string_view>

#include "services/notifications/domain.hpp"

namespace ordo::services::notifications {

// Template file name -> text: "<event type>.txt" and "<event type>.html" ("order.confirmed.txt"),
// with "default.txt" / "default.html" for an event type that has none.
using EmailTemplates = std::map<std::string, std::string, std::less<>>;

// The templates compiled into the binary (email_templates/ in the source tree).
const EmailTemplates& embedded_email_templates();
// The embedded templates with every file of `overrides` replacing the one of the same name.
EmailTemplates with_overrides(EmailTemplates base, const EmailTemplates& overrides);

// Replaces each {{key}} with values[key] (empty when unknown). html: values are escaped and their
// line breaks become <br>.
std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values,
                          bool html);
// A header value as is when it is printable ASCII, else as RFC 2047 encoded-words (UTF-8, base64),
// folded so no encoded-word exceeds 75 characters.
std::string encode_header_value(std::string_view text);
// "Mon, 30 Nov 2026 22:03:15 +0000" (RFC 5322 date-time, UTC).
std::string rfc5322_date(std::time_t when);
// The bare address of "Name <a@b>" or "a@b"; its domain ("b"), empty when there is no '@'.
std::string mailbox_address(std::string_view mailbox);
std::string address_domain(std::string_view address);

// What varies between two sends of the same message; fixed in tests.
struct EmailEnvelope {
  std::string from;  // a mailbox: "a@b" or "Name <a@b>"
  std::string to;
  std::string date;
  std::string message_id;  // without the angle brackets: "id@domain"
  std::string boundary;
};
// A fresh envelope: now, a unique Message-ID at the from-address's domain, a random boundary.
EmailEnvelope new_envelope(std::string from, std::string to);

struct EmailContent {
  std::string subject;
  std::string text;
  std::string html;
};
// The notification's e-mail: its template (by event type) filled with its subject, body, data
// fields and the recipient's name and address.
EmailContent render_email(const EmailTemplates& templates, const Notification& notification,
                          const Recipient& recipient);
// The whole message (headers, CRLF line ends, both parts base64-encoded), ready for SMTP DATA.
std::string build_email(const EmailEnvelope& envelope, const EmailContent& content);

}  // namespace ordo::services::notifications
