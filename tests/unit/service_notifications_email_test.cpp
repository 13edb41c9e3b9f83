// The e-mail channel's message building, without I/O: headers, the multipart/alternative
// structure, HTML escaping, RFC 2047 subjects and template overrides.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/notifications/channel.hpp"
#include "services/notifications/email_message.hpp"

namespace ordo::services::notifications {
namespace {

// Standard base64 (RFC 4648) back to bytes; the message is checked independently of its encoder.
std::string base64_decode(std::string_view text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    auto index = kAlphabet.find(c);
    if (index == std::string::npos)
      continue;  // '=' padding and line breaks
    buffer = (buffer << 6) | static_cast<unsigned>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto next = text.find(separator, pos);
    out.emplace_back(text.substr(pos, next - pos));
    if (next == std::string_view::npos)
      return out;
    pos = next + separator.size();
  }
}

EmailEnvelope fixed_envelope() {
  return EmailEnvelope{"Ordo <shop@ordo.example>", "ann@example.com",
                       "Mon, 30 Nov 2026 22:03:15 +0000", "0193-abc@ordo.example", "=_ordo_b1"};
}

Notification order_notification(std::string event_type, std::string order_id) {
  Notification n;
  n.id = "n-1";
  n.event_type = std::move(event_type);
  n.subject = "Order " + order_id + " confirmed";
  n.body = "Your order " + order_id + " for 9.99 EUR is confirmed.";
  n.data = R"({"orderId":")" + order_id + R"(","status":"confirmed","totalCents":999})";
  return n;
}

Recipient ann() {
  return Recipient{"u-1", "ann@example.com", "Ann", "user", true};
}

TEST(EmailMessage, HasTheHeadersAndTwoAlternativeParts) {
  EmailContent content{"Order 42 confirmed", "plain\nsecond line", "<p>html</p>"};
  auto message = build_email(fixed_envelope(), content);
  auto [head, body] = [&] {
    auto end = message.find("\r\n\r\n");
    return std::pair{message.substr(0, end + 2), message.substr(end + 4)};
  }();
  EXPECT_EQ(head,
            "Date: Mon, 30 Nov 2026 22:03:15 +0000\r\n"
            "Message-ID: <0193-abc@ordo.example>\r\n"
            "From: Ordo <shop@ordo.example>\r\n"
            "To: ann@example.com\r\n"
            "Subject: Order 42 confirmed\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"=_ordo_b1\"\r\n");
  // Every line ends in CRLF and stays under SMTP's limit.
  for (const auto& line : split(message, "\r\n")) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_LE(line.size(), 78u);
  }
  auto parts = split(body, "--=_ordo_b1");
  ASSERT_EQ(parts.size(), 4u);  // preamble, text, html, "--" closing
  EXPECT_EQ(parts[0], "");
  EXPECT_EQ(parts[3], "--\r\n");
  EXPECT_NE(parts[1].find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(parts[2].find("Content-Type: text/html; charset=UTF-8\r\n"), std::string::npos);
  auto content_of = [](const std::string& part) {
    EXPECT_NE(part.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
    return base64_decode(part.substr(part.find("\r\n\r\n") + 4));
  };
  EXPECT_EQ(content_of(parts[1]), "plain\r\nsecond line");  // canonical CRLF line ends
  EXPECT_EQ(content_of(parts[2]), "<p>html</p>");
}

TEST(EmailMessage, LongBodiesAreFoldedIntoShortLines) {
  EmailContent content{"s", std::string(2'000, 'x'), "h"};
  for (const auto& line : split(build_email(fixed_envelope(), content), "\r\n"))
    EXPECT_LE(line.size(), 76u + 2);
}

TEST(EmailMessage, HeaderValuesCannotInjectHeaders) {
  auto envelope = fixed_envelope();
  envelope.to = "ann@example.com\r\nBcc: eve@example.com";
  EmailContent content{"Hi\r\nBcc: eve@example.com", "t", "h"};
  auto message = build_email(envelope, content);
  EXPECT_EQ(message.find("\r\nBcc:"), std::string::npos);
}

TEST(EmailMessage, HtmlValuesAreEscapedAndPlainTextIsNot) {
  std::map<std::string, std::string> values{{"name", "<script>alert('x')</script> & \"co\""},
                                            {"body", "line 1\nline 2"}};
  EXPECT_EQ(fill_template("<p>{{name}}</p>", values, true),
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;</p>");
  EXPECT_EQ(fill_template("{{ name }}", values, false), values["name"]);
  EXPECT_EQ(fill_template("{{body}}", values, true), "line 1<br>\nline 2");
  EXPECT_EQ(fill_template("[{{unknown}}] {{unclosed", values, false), "[] {{unclosed");
}

TEST(EmailMessage, NonAsciiSubjectsAreEncodedWords) {
  EXPECT_EQ(encode_header_value("Order 42 confirmed"), "Order 42 confirmed");
  EXPECT_EQ(encode_header_value("Commande confirm\xC3\xA9"
                                "e"),
            "=?UTF-8?B?"
            "Q29tbWFuZGUgY29uZmlybcOpZQ=="
            "?=");
  // Long: several encoded-words on folded lines, each at most 75 characters, none splitting a
  // character; decoded and joined they give the subject back.
  std::string subject;
  for (int i = 0; i < 40; ++i)
    subject += "\xC3\xA9t\xC3\xA9 ";  // "été "
  auto encoded = encode_header_value(subject);
  std::string decoded;
  for (const auto& word : split(encoded, "\r\n ")) {
    EXPECT_LE(word.size(), 75u);
    ASSERT_EQ(word.substr(0, 10), "=?UTF-8?B?");
    ASSERT_EQ(word.substr(word.size() - 2), "?=");
    auto bytes = base64_decode(word.substr(10, word.size() - 12));
    EXPECT_NE(static_cast<unsigned char>(bytes.front()) & 0xC0, 0x80u) << "starts mid-character";
    decoded += bytes;
  }
  EXPECT_EQ(decoded, subject);
}

TEST(EmailMessage, DatesAndAddresses) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1'796'076'195), "Mon, 30 Nov 2026 22:03:15 +0000");
  EXPECT_EQ(mailbox_address("Ordo Shop <shop@ordo.example>"), "shop@ordo.example");
  EXPECT_EQ(mailbox_address(" shop@ordo.example "), "shop@ordo.example");
  EXPECT_EQ(address_domain("shop@ordo.example"), "ordo.example");
  EXPECT_EQ(address_domain("nobody"), "");
}

TEST(EmailMessage, EnvelopesAreUniqueAtTheSendersDomain) {
  auto first = new_envelope("Ordo <shop@ordo.example>", "ann@example.com");
  auto second = new_envelope("Ordo <shop@ordo.example>", "ann@example.com");
  EXPECT_NE(first.message_id, second.message_id);
  EXPECT_NE(first.boundary, second.boundary);
  EXPECT_TRUE(first.message_id.ends_with("@ordo.example"));
  EXPECT_TRUE(first.date.ends_with(" +0000"));
}

TEST(EmailMessage, EmbeddedTemplatesCoverEveryNotification) {
  const auto& templates = embedded_email_templates();
  for (std::string kind : {"user.registered", "order.confirmed", "order.rejected",
                           "order.cancelled", "inventory.low_stock", "default"}) {
    EXPECT_TRUE(templates.contains(kind + ".txt")) << kind;
    EXPECT_TRUE(templates.contains(kind + ".html")) << kind;
  }
}

TEST(EmailMessage, RendersTheTemplateOfTheEventType) {
  auto notification = order_notification("order.confirmed", "0193-order");
  auto content = render_email(embedded_email_templates(), notification, ann());
  EXPECT_EQ(content.subject, "Order 0193-order confirmed");
  EXPECT_NE(content.text.find("Hello Ann"), std::string::npos);
  EXPECT_NE(content.text.find(notification.body), std::string::npos);
  EXPECT_NE(content.text.find("Order: 0193-order"), std::string::npos);
  EXPECT_NE(content.html.find("<strong>0193-order</strong>"), std::string::npos);
  EXPECT_EQ(content.html.find("{{"), std::string::npos);
  // No template of its own: the default one.
  auto other = notification;
  other.event_type = "something.new";
  EXPECT_NE(render_email(embedded_email_templates(), other, ann()).html.find(other.subject),
            std::string::npos);
}

TEST(EmailMessage, AnOverrideReplacesOnlyItsOwnFile) {
  auto templates = with_overrides(embedded_email_templates(),
                                  {{"order.confirmed.txt", "Custom {{orderId}} for {{name}}"}});
  auto content =
      render_email(templates, order_notification("order.confirmed", "0193-order"), ann());
  EXPECT_EQ(content.text, "Custom 0193-order for Ann");
  EXPECT_EQ(content.html, render_email(embedded_email_templates(),
                                       order_notification("order.confirmed", "0193-order"), ann())
                              .html);
}

TEST(EmailChannels, EmailIsConfiguredOnlyWithAnSmtpServer) {
  EXPECT_EQ(configured_channel_names({}), std::vector<std::string>{"log"});
  ChannelSettings smtp{"smtp://127.0.0.1:2525", "shop@ordo.example", ""};
  EXPECT_EQ(configured_channel_names(smtp), (std::vector<std::string>{"log", "email"}));
  auto channels = make_channels(configured_channel_names(smtp), smtp);
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[1]->name(), "email");
  EXPECT_THROW(make_channels({"email"}), std::invalid_argument);
  ChannelSettings missing_dir = smtp;
  missing_dir.email_templates_dir = "/nonexistent/ordo-templates";
  EXPECT_THROW(make_channels({"email"}, missing_dir), std::runtime_error);
}

}  // namespace
}  // namespace ordo::services::notifications
