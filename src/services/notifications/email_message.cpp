#include "services/notifications/email_message.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "platform/core/encoding.hpp"
#include "platform/core/ids.hpp"

namespace ordo::services::notifications {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// An encoded-word is at most 75 characters; "=?UTF-8?B?" and "?=" take 12, and 45 bytes make 60
// base64 characters.
constexpr std::size_t kEncodedWordBytes = 45;
constexpr std::size_t kBase64LineLength = 76;  // RFC 2045

// CR and LF would end a header early (header injection): they become spaces.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n')
      c = ' ';
  }
  return out;
}

bool printable_ascii(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E)
      return false;
  }
  return true;
}

// Length of the UTF-8 sequence starting with `lead` (1 for a stray continuation byte).
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0)
    return 4;
  if (lead >= 0xE0)
    return 3;
  if (lead >= 0xC0)
    return 2;
  return 1;
}

// Line ends as CRLF (MIME's canonical text form), whatever the template used.
std::string crlf_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r')
      continue;
    if (text[i] == '\n')
      out += kCrlf;
    else
      out.push_back(text[i]);
  }
  return out;
}

std::string base64_body(std::string_view text) {
  std::string encoded = core::base64_encode(crlf_lines(text));
  std::string out;
  for (std::size_t pos = 0; pos < encoded.size(); pos += kBase64LineLength) {
    out += encoded.substr(pos, kBase64LineLength);
    out += kCrlf;
  }
  return out;
}

std::string part(std::string_view boundary, std::string_view type, std::string_view text) {
  std::string out = "--" + std::string(boundary) + std::string(kCrlf);
  out += "Content-Type: " + std::string(type) + "; charset=UTF-8" + std::string(kCrlf);
  out += "Content-Transfer-Encoding: base64" + std::string(kCrlf) + std::string(kCrlf);
  out += base64_body(text);
  return out;
}

std::string json_text(const boost::json::value& value) {
  if (value.is_string())
    return std::string(value.get_string());
  return boost::json::serialize(value);
}

const std::string& template_for(const EmailTemplates& templates, const std::string& event_type,
                                std::string_view extension) {
  if (auto it = templates.find(event_type + std::string(extension)); it != templates.end())
    return it->second;
  if (auto it = templates.find("default" + std::string(extension)); it != templates.end())
    return it->second;
  static const std::string kEmpty;
  return kEmpty;
}

}  // namespace

EmailTemplates with_overrides(EmailTemplates base, const EmailTemplates& overrides) {
  for (const auto& [name, text] : overrides)
    base.insert_or_assign(name, text);
  return base;
}

std::string fill_template(std::string_view text, const std::map<std::string, std::string>& values,
                          bool html) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", pos);
    auto close = open == std::string_view::npos ? open : text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, open - pos);
    std::string key(text.substr(open + 2, close - open - 2));
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(' ') + 1);
    if (auto it = values.find(key); it != values.end()) {
      if (!html) {
        out += it->second;
      } else {
        std::string escaped = core::html_escape(it->second);
        for (char c : escaped)
          out += c == '\n' ? std::string("<br>\n") : std::string(1, c);
      }
    }
    pos = close + 2;
  }
  return out;
}

std::string encode_header_value(std::string_view text) {
  std::string line = one_line(text);
  if (printable_ascii(line))
    return line;
  std::string out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    // Whole characters only: an encoded-word must not split one (RFC 2047, section 5).
    std::size_t end = pos;
    while (end < line.size()) {
      std::size_t next = end + utf8_length(static_cast<unsigned char>(line[end]));
      if (next - pos > kEncodedWordBytes && end > pos)
        break;
      end = std::min(next, line.size());
    }
    if (!out.empty())
      out += "\r\n ";  // folding: the white space between encoded-words is not displayed
    out += "=?UTF-8?B?" + core::base64_encode(line.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

std::string rfc5322_date(std::time_t when) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm utc{};
  gmtime_r(&when, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                kDays.at(static_cast<std::size_t>(utc.tm_wday)), utc.tm_mday,
                kMonths.at(static_cast<std::size_t>(utc.tm_mon)), utc.tm_year + 1900, utc.tm_hour,
                utc.tm_min, utc.tm_sec);
  return buffer;
}

std::string mailbox_address(std::string_view mailbox) {
  auto open = mailbox.rfind('<');
  auto close = mailbox.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    return std::string(mailbox.substr(open + 1, close - open - 1));
  std::string address(mailbox);
  address.erase(0, address.find_first_not_of(' '));
  address.erase(address.find_last_not_of(' ') + 1);
  return address;
}

std::string address_domain(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

EmailEnvelope new_envelope(std::string from, std::string to) {
  std::string domain = address_domain(mailbox_address(from));
  if (domain.empty())
    domain = "localhost";
  return EmailEnvelope{std::move(from), std::move(to), rfc5322_date(std::time(nullptr)),
                       core::uuid_v7() + "@" + domain, "=_ordo_" + core::random_hex(12)};
}

EmailContent render_email(const EmailTemplates& templates, const Notification& notification,
                          const Recipient& recipient) {
  std::map<std::string, std::string> values;
  boost::system::error_code ec;
  auto data = boost::json::parse(notification.data, ec);
  if (!ec && data.is_object()) {
    for (const auto& [key, value] : data.get_object())
      values[std::string(key)] = json_text(value);
  }
  values["subject"] = notification.subject;
  values["body"] = notification.body;
  values["eventType"] = notification.event_type;
  values["name"] = recipient.name;
  values["email"] = recipient.email;
  return EmailContent{
      notification.subject,
      fill_template(template_for(templates, notification.event_type, ".txt"), values, false),
      fill_template(template_for(templates, notification.event_type, ".html"), values, true)};
}

std::string build_email(const EmailEnvelope& envelope, const EmailContent& content) {
  std::string crlf(kCrlf);
  std::string out;
  out += "Date: " + envelope.date + crlf;
  out += "Message-ID: <" + one_line(envelope.message_id) + ">" + crlf;
  out += "From: " + one_line(envelope.from) + crlf;
  out += "To: " + one_line(envelope.to) + crlf;
  out += "Subject: " + encode_header_value(content.subject) + crlf;
  out += "MIME-Version: 1.0" + crlf;
  out += "Content-Type: multipart/alternative; boundary=\"" + envelope.boundary + "\"" + crlf;
  out += crlf;
  // Plain text first: a client shows the last part it understands (RFC 2046, 5.1.4).
  out += part(envelope.boundary, "text/plain", content.text);
  out += part(envelope.boundary, "text/html", content.html);
  out += "--" + envelope.boundary + "--" + crlf;
  return out;
}

}  // namespace ordo::services::notifications
