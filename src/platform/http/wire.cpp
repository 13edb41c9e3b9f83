// Message heads written straight into one string: the same bytes Beast's serializer produced for
// our messages, without its buffer views and field allocations.
#include "platform/http/wire.hpp"

#include <algorithm>
#include <charconv>

#include <boost/beast/http/status.hpp>

namespace ordo::http::wire {
namespace {

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The server sets these itself from the response it actually sends.
bool is_framing_field(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection");
}

// Fields that describe one hop's connection; the client frames each request itself, and a body
// is always sent at once (so "Expect: 100-continue" would only produce an interim answer).
bool is_hop_field(std::string_view name) {
  for (std::string_view hop : {"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding",
                               "Content-Length", "TE", "Upgrade", "Expect"}) {
    if (iequals(name, hop)) {
      return true;
    }
  }
  return false;
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

std::size_t fields_size(const Headers& headers) {
  std::size_t size = 0;
  for (const auto& [name, value] : headers.fields())
    size += name.size() + value.size() + 4;
  return size;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return lower_ascii(x) == lower_ascii(y); });
}

bool has_line_break(std::string_view text) {
  // A plain loop: find_first_of("\r\n") runs a memchr per character, on every field written.
  for (char c : text) {
    if (c == '\r' || c == '\n')
      return true;
  }
  return false;
}

bool status_has_body(int status) {
  return !(status / 100 == 1 || status == 204 || status == 304);
}

namespace {

enum class Framing { length, chunked, close_delimited };

std::string head(const Response& response, unsigned version, bool keep_alive, Framing framing,
                 std::optional<std::uint64_t> length = std::nullopt) {
  namespace bhttp = boost::beast::http;
  auto reason =
      bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(response.status)));
  std::string out;
  out.reserve(64 + reason.size() + fields_size(response.headers));
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(response.status));
  out.push_back(' ');
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  // Fields are not validated anywhere else, so a handler echoing user input must not be able to
  // split the response: fields with line breaks are dropped.
  for (const auto& [name, value] : response.headers.fields()) {
    if (name.empty() || is_framing_field(name) || has_line_break(name) || has_line_break(value))
      continue;
    append_field(out, name, value);
  }
  if (framing == Framing::chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (framing == Framing::length && status_has_body(response.status)) {
    // A HEAD answer announces the length the GET would have had; the caller omits the bytes.
    out.append("Content-Length: ");
    append_number(out, length.value_or(response.body.size()));
    out.append("\r\n");
  }
  // HTTP/1.1 keeps a connection unless told otherwise; HTTP/1.0 closes it unless told otherwise.
  if (version >= 11 && !keep_alive)
    out.append("Connection: close\r\n");
  else if (version < 11 && keep_alive)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  return out;
}

}  // namespace

std::string response_head(const Response& response, unsigned version, bool keep_alive,
                          std::optional<std::uint64_t> length) {
  return head(response, version, keep_alive, Framing::length, length);
}

std::string stream_response_head(const Response& response, unsigned version) {
  return head(response, version, false,
              version >= 11 ? Framing::chunked : Framing::close_delimited);
}

std::string chunk(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string size;
  for (std::size_t n = bytes.size(); n > 0 || size.empty(); n /= 16)
    size.insert(size.begin(), kHex[n % 16]);
  std::string out;
  out.reserve(size.size() + bytes.size() + 4);
  out.append(size).append("\r\n").append(bytes).append("\r\n");
  return out;
}

bool request_sends_body(const OutgoingRequest& request) {
  return !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
         request.method == "PATCH";
}

bool asks_to_close(const OutgoingRequest& request) {
  for (const auto& [name, value] : request.headers.fields()) {
    if (!iequals(name, "Connection"))
      continue;
    std::string_view tokens(value);
    while (!tokens.empty()) {
      auto comma = tokens.find(',');
      std::string_view token = tokens.substr(0, comma);
      tokens = comma == std::string_view::npos ? std::string_view() : tokens.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (iequals(token, "close"))
        return true;
    }
  }
  return false;
}

std::string request_head(const OutgoingRequest& request, std::string_view authority,
                         bool sends_body) {
  std::string out;
  out.reserve(64 + request.method.size() + request.target.size() + authority.size() +
              fields_size(request.headers));
  out.append(request.method);
  out.push_back(' ');
  out.append(request.target.empty() ? std::string_view("/") : std::string_view(request.target));
  out.append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [name, value] : request.headers.fields()) {
    if (name.empty() || is_hop_field(name) || has_line_break(name) || has_line_break(value))
      continue;
    has_host = has_host || iequals(name, "Host");
    append_field(out, name, value);
  }
  if (!has_host)
    append_field(out, "Host", authority);
  if (asks_to_close(request))
    out.append("Connection: close\r\n");
  if (sends_body) {
    out.append("Content-Length: ");
    append_number(out, request.body.size());
    out.append("\r\n");
  }
  out.append("\r\n");
  return out;
}

}  // namespace ordo::http::wire
